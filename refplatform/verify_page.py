"""The human-readable verification page for the QR code printed on stamped copies."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = ("body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;max-width:40em;margin:2em auto;"
          "padding:0 1em;line-height:1.6}h1{font-size:1.4em}.ok{color:#185c1f}.bad{color:#9b1c1c}"
          "th{text-align:left;padding-right:1em;font-weight:normal;color:#555}")


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>")


def verify_html(info: dict[str, Any] | None) -> str:
    """The page for one verification result, or the not-found page when info is None."""
    if info is None:
        return _page("核验失败 Not found", '<h1 class="bad">未找到该核验码对应的加注件</h1>'
                     "<p>No copy was issued with this verification code. Check the code and try again.</p>")
    cert, holder = info["certificate"], info["holder"]
    valid = info["status"] == "valid"
    verdict = ('<h1 class="ok">核验通过：此加注件由平台签发且在有效期内</h1><p>Valid copy issued by the platform.</p>'
               if valid else '<h1 class="bad">此加注件已过期</h1><p>This copy has expired.</p>')
    rows = (("证照名称 Certificate", cert["name"]), ("证照标识 Identifier", cert["identifier"]),
            ("发证机关 Issuer", cert["issuer"]), ("持证主体 Holder", holder["name_masked"]),
            ("证件号码 Holder code", holder["code_masked"]), ("加注用途 Purpose", info["purpose"]),
            ("签发时间 Issued", info["issued_at"]), ("有效期至 Expires", info["expires"]),
            ("核验码 Code", info["verify_code"]), ("文件摘要 SHA-256", info["file_sha256"]))
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    link = f'<p><a href="{escape(info["file_url"])}">下载加注件原件 Download the issued copy (PDF)</a></p>'
    return _page("加注件核验 Verification", f"{verdict}<table>{table}</table>{link}")
