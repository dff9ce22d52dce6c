import QtQuick
import QtQuick.Window

// The out-of-service screen on its own (screens/fallback_screen.py): shown when the app cannot
// start. All three languages at once, nothing to touch. Context: lines [{lang, title, body,
// detail, technician}], sizes (screens/theme.py), colors, appTitle.
Window {
    id: win
    objectName: "fallbackScreen"
    width: 1920
    height: 1080
    visible: false
    color: colors.background
    title: appTitle

    Item {  // designed at 1920x1080, scaled to the output
        id: page
        width: 1920
        height: 1080
        anchors.centerIn: parent
        scale: Math.min(win.width / width, win.height / height)

        Rectangle {
            id: header
            width: parent.width
            height: 120
            color: colors.header
            Text {
                anchors.verticalCenter: parent.verticalCenter
                x: sizes.gap * 2
                text: appTitle
                color: colors.onPrimary
                font.family: "Noto Sans CJK SC"
                font.pixelSize: sizes.fontLarge
                font.bold: true
            }
        }

        Item {  // the space between the header and the technician's line
            id: middle
            anchors.top: header.bottom
            anchors.bottom: hint.top
            width: parent.width
        }

        Column {
            anchors.centerIn: middle
            width: parent.width - sizes.gap * 8
            spacing: sizes.gap * 1.5

            Repeater {
                model: lines
                delegate: Column {
                    required property var modelData
                    required property int index
                    width: parent.width
                    spacing: sizes.gap / 3
                    Text {
                        width: parent.width
                        text: modelData.title + "  ·  " + modelData.body
                        color: colors.text
                        font.family: modelData.lang === "zh-TW" ? "Noto Sans CJK TC" : "Noto Sans CJK SC"
                        font.pixelSize: index === 0 ? sizes.fontTitle : sizes.fontLarge
                        font.bold: true
                        horizontalAlignment: Text.AlignHCenter
                        wrapMode: Text.WordWrap
                    }
                    Text {
                        width: parent.width
                        text: modelData.detail
                        color: colors.muted
                        font.family: modelData.lang === "zh-TW" ? "Noto Sans CJK TC" : "Noto Sans CJK SC"
                        font.pixelSize: index === 0 ? sizes.fontLarge : sizes.fontBody
                        horizontalAlignment: Text.AlignHCenter
                        wrapMode: Text.WordWrap
                    }
                }
            }
        }

        Text {  // for the technician: where the reason is
            id: hint
            anchors.bottom: parent.bottom
            anchors.bottomMargin: sizes.gap * 1.5
            anchors.horizontalCenter: parent.horizontalCenter
            width: parent.width - sizes.gap * 8
            text: lines.map(function (l) { return l.technician }).join("\n")
            color: colors.muted
            font.family: "Noto Sans CJK SC"
            font.pixelSize: sizes.fontSmall
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.WordWrap
        }
    }
}
