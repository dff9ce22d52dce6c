"""GB 3304 ethnicity codes as printed on the resident ID card (01-56, 97, 98)."""

from __future__ import annotations

_NAMES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()

ETHNICITIES: dict[str, str] = {f"{i:02d}": name for i, name in enumerate(_NAMES, start=1)}
ETHNICITIES["97"] = "其他"
ETHNICITIES["98"] = "外国血统中国籍人士"


def ethnicity_name(code: str) -> str:
    """The Chinese name for a two-digit code ('' when the code is unknown or empty)."""
    return ETHNICITIES.get(code, "")


def is_ethnicity_code(code: str) -> bool:
    return code in ETHNICITIES
