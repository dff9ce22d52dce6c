import QtQuick

// Body text in the theme's font, size and colour. For screen readers it is a node of its own: a
// heading when it is a title (bold, title size or larger), static text otherwise; out of the tree
// while empty or hidden.
Text {
    color: theme.text
    font.pixelSize: theme.fontBody
    font.family: theme.fontFamily
    wrapMode: Text.WordWrap
    lineHeight: 1.15
    Accessible.role: font.bold && font.pixelSize >= theme.fontTitle ? Accessible.Heading : Accessible.StaticText
    Accessible.name: text
    Accessible.ignored: text === "" || !visible
}
