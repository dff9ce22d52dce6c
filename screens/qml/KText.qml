import QtQuick

// Body text in the theme's font, size and colour.
Text {
    color: theme.text
    font.pixelSize: theme.fontBody
    font.family: theme.fontFamily
    wrapMode: Text.WordWrap
    lineHeight: 1.15
}
