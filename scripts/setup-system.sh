#!/usr/bin/env bash
# Installs the system packages fupin-docs needs: CJK faces for PDF, the
# HarfBuzz subsetter WeasyPrint uses, poppler-utils (tests read PDFs back) and
# LibreOffice Writer (tests open every .docx in it), Chromium (browser tests
# of fupin serve).
# Runs as root; otherwise prints the exact command for an administrator.
set -euo pipefail

PACKAGES=(
  libharfbuzz-subset0        # WeasyPrint subsets fonts in ~0.3 s instead of ~5 s
  libpango-1.0-0 libpangoft2-1.0-0 libfontconfig1
  fonts-noto-cjk             # 黑体 stand-in (Noto Sans CJK SC), per-glyph fallback (Noto Serif CJK)
  fonts-noto-cjk-extra       # Noto Serif CJK SC Black/Bold: 小标宋 stand-in
  fonts-arphic-ukai          # 楷体 stand-in
  fonts-hanazono             # per-glyph fallback for CJK Ext-B (rare names such as 𠀀)
  poppler-utils              # pdftotext / pdffonts / pdfinfo
  libreoffice-writer-nogui   # headless .docx -> PDF check
  fontconfig
  zip                        # tests re-zip a pack as Info-ZIP does (names without the UTF-8 flag)
  zbar-tools                 # tests read the 存证单's QR code back (zbarimg)
  chromium                   # browser tests of fupin serve (Playwright drives /usr/bin/chromium)
  postgresql                 # the county backend: tests start their own cluster (tests/pg_cluster.py)
  nodejs                     # make setup installs ofd.js (tests/ofd_reader), the OFD reader the tests run in Chromium
  $(command -v npm >/dev/null || echo npm)  # Debian's npm, unless Node.js came with its own (NodeSource's conflicts with it)
)
FANDOL_DIR=/usr/local/share/fonts/fandol

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
need_fandol=0
[ -f "$FANDOL_DIR/FandolFang-Regular.otf" ] || need_fandol=1

if [ ${#missing[@]} -eq 0 ] && [ $need_fandol -eq 0 ]; then
  echo "系统依赖已齐全。"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "缺少系统依赖，请由管理员执行：" >&2
  [ ${#missing[@]} -gt 0 ] && echo "  sudo apt-get install -y ${missing[*]}" >&2
  [ $need_fandol -eq 1 ] && echo "  sudo bash scripts/setup-system.sh   # 提取 Fandol 仿宋字体" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  echo "正在安装系统依赖：${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ $need_fandol -eq 1 ]; then
  # FandolFang (仿宋) ships only inside TeX Live's Chinese package; take the
  # .otf files out without installing TeX Live.
  echo "正在提取 Fandol 字体（仿宋/宋体/黑体/楷体）"
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq texlive-lang-chinese >/dev/null 2>&1 || { apt-get update -qq && apt-get download -qq texlive-lang-chinese; })
  dpkg -x "$tmp"/texlive-lang-chinese_*.deb "$tmp/x"
  mkdir -p "$FANDOL_DIR"
  find "$tmp/x" -name 'Fandol*.otf' -exec cp {} "$FANDOL_DIR/" \;
  rm -rf "$tmp"
fi
fc-cache -f >/dev/null
echo "系统依赖安装完成。"
