"""Checks a report folder as a reader sees it: every figure the page shows is a valid PNG
and SVG of the stated size, not blank; every left-out figure has its reason on the page and
no file; headless Chromium loads index.html with every image, no console error, and its
screenshot is not blank.

    check_report.py DIR FIGURE,... [--left NAME,...] [--no-browser]

FIGURE, ...: the figures that must be drawn; NAME, ...: those that must be left out."""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

import matplotlib.image
import numpy

WIDTH, HEIGHT = 800, 600  # report_plot.h's PLOT_WIDTH, PLOT_HEIGHT


def fail(message):
    print("check_report:", message, file=sys.stderr)
    sys.exit(1)


def check_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        fail(f"{path}: not a PNG")
    size = struct.unpack(">II", data[16:24])
    if size != (WIDTH, HEIGHT):
        fail(f"{path}: {size[0]} x {size[1]} pixels, not {WIDTH} x {HEIGHT}")
    image = matplotlib.image.imread(path)[..., :3]
    # a drawn figure has ink (axes, text) and colour (points, laws), not one flat tone
    dark = (image.mean(axis=2) < 0.3).mean()
    colours = len(numpy.unique((image.reshape(-1, 3) * 255).astype(int), axis=0))
    if dark < 0.002 or colours < 20:
        fail(f"{path}: looks blank ({dark:.4f} dark, {colours} colours)")


def check_svg(path):
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        fail(f"{path}: not XML: {error}")
    if not root.tag.endswith("svg"):
        fail(f"{path}: root is {root.tag}, not svg")
    width, height = root.get("width", ""), root.get("height", "")
    if (width, height) != (f"{WIDTH}pt", f"{HEIGHT}pt") or root.get("viewBox") != f"0 0 {WIDTH} {HEIGHT}":
        fail(f"{path}: size {width} x {height}, viewBox {root.get('viewBox')}")
    if sum(1 for _ in root.iter()) < 50:
        fail(f"{path}: almost empty")


CHECKER = """<script>
window.addEventListener("load", function () {
  var bad = [];
  for (var img of document.images)
    if (!img.complete || img.naturalWidth !== %d || img.naturalHeight !== %d) bad.push(img.src);
  var p = document.createElement("p");
  p.id = "checked";
  p.textContent = "IMAGES " + document.images.length + " BAD [" + bad.join(" ") + "]";
  document.body.appendChild(p);
});
</script>""" % (WIDTH, HEIGHT)


def chromium(*arguments):
    profile = tempfile.mkdtemp()
    try:
        return subprocess.run(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
             "--virtual-time-budget=5000", *arguments],
            capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def check_browser(folder, drawn):
    page = os.path.join(folder, "index.html")
    # the page itself: no console message at all (it has no script: a message is an error,
    # such as a resource that did not load), a screenshot that is not blank
    shot = os.path.join(folder, ".screenshot.png")
    result = chromium("--window-size=1200,1600", "--screenshot=" + shot, "file://" + os.path.abspath(page))
    errors = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    if errors:
        fail("console errors: " + " | ".join(errors))
    if not os.path.exists(shot):
        fail("chromium made no screenshot: " + result.stderr[-500:])
    image = matplotlib.image.imread(shot)[..., :3]
    if image.std() < 0.05 or (image.mean(axis=2) < 0.5).mean() < 0.005:
        fail(f"the screenshot of the page looks blank (std {image.std():.3f})")
    os.remove(shot)
    # a copy with a checker: every image loaded at its stated size
    copy = os.path.join(folder, ".checked.html")
    text = open(page, encoding="utf-8").read().replace("</body>", CHECKER + "</body>")
    open(copy, "w", encoding="utf-8").write(text)
    result = chromium("--dump-dom", "file://" + os.path.abspath(copy))
    os.remove(copy)
    found = re.search(r"IMAGES (\d+) BAD \[([^\]]*)\]", result.stdout)
    if not found:
        fail("the checker did not run: " + result.stderr[-500:])
    figures = open(page, encoding="utf-8").read().count("<figure ")
    if int(found.group(1)) != figures or figures < len(drawn) or found.group(2).strip():
        fail(f"{found.group(1)} images on the page for {figures} figures; not loaded: {found.group(2)}")


def main():
    arguments = sys.argv[1:]
    browser = "--no-browser" not in arguments
    arguments = [a for a in arguments if a != "--no-browser"]
    left = []
    if "--left" in arguments:
        i = arguments.index("--left")
        left = [x for x in arguments[i + 1].split(",") if x]
        del arguments[i:i + 2]
    folder, drawn = arguments[0], [x for x in arguments[1].split(",") if x]
    page = open(os.path.join(folder, "index.html"), encoding="utf-8").read()
    for name in drawn:
        check_png(os.path.join(folder, name + ".png"))
        check_svg(os.path.join(folder, name + ".svg"))
        if f'src="{name}.png"' not in page:
            fail(f"index.html does not show {name}.png")
    for name in left:
        for suffix in ("png", "svg"):
            if os.path.exists(os.path.join(folder, f"{name}.{suffix}")):
                fail(f"{name}.{suffix} was drawn, yet the data cannot support it")
        if not re.search(rf'<p class="left" id="{name}">Left out: .*&mdash; \S', page):
            fail(f"index.html gives no reason for leaving out {name}")
    for section in ("headline", "figures", "laws", "runs", "provenance"):
        if f'id="{section}"' not in page:
            fail(f"index.html has no {section} section")
    if "<pre>" not in page or "[sweep]" not in page:
        fail("index.html does not show the plan")
    if browser:
        check_browser(folder, drawn)
    print(f"check_report: {folder}: {len(drawn)} figures, {len(left)} left out: ok")


main()
