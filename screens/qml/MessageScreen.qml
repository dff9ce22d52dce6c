import QtQuick
import QtQuick.Layouts

// A title, a message, an optional busy indicator and up to four buttons.
// spec: {title, body, busy, buttons: [{text, kind, action}]}
Item {
    id: root
    property var spec: ({})
    signal action(string name)

    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - theme.gap * 8, 1400)
        spacing: theme.gap * 1.5

        KText {
            Layout.fillWidth: true
            text: root.spec.title || ""
            font.pixelSize: root.spec.big === true ? theme.fontHuge : theme.fontTitle
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        KText {
            Layout.fillWidth: true
            visible: text !== ""
            text: root.spec.body || ""
            color: theme.muted
            font.pixelSize: theme.fontLarge
            horizontalAlignment: Text.AlignHCenter
        }
        KText {
            Layout.fillWidth: true
            visible: text !== ""
            text: root.spec.detail || ""
            horizontalAlignment: Text.AlignHCenter
        }
        Item {
            visible: root.spec.busy === true
            Layout.alignment: Qt.AlignHCenter
            implicitWidth: theme.touch * 1.5
            implicitHeight: theme.touch * 1.5
            Rectangle {
                id: spinner
                anchors.fill: parent
                radius: width / 2
                color: "transparent"
                border.width: theme.gap / 2
                border.color: theme.primary
                Rectangle {
                    width: theme.gap; height: theme.gap; radius: width / 2
                    color: theme.accent
                    x: parent.width / 2 - width / 2
                }
                RotationAnimator on rotation {
                    running: root.spec.busy === true && root.visible
                    from: 0; to: 360; duration: 1400; loops: Animation.Infinite
                }
            }
        }
        Flow {
            Layout.alignment: Qt.AlignHCenter
            Layout.topMargin: theme.gap
            spacing: theme.gap * 1.5
            Repeater {
                model: root.spec.buttons || []
                KButton {
                    objectName: "btn_" + modelData.action
                    // The offer of 长辈模式: buttons as big as the words, for the people it is meant for.
                    height: root.spec.bigButtons === true ? Math.max(theme.touch * 1.5, implicitHeight) : implicitHeight
                    fontSize: root.spec.bigButtons === true ? theme.fontTitle : theme.fontLarge
                    text: modelData.text
                    kind: modelData.kind || "primary"
                    onClicked: root.action(modelData.action)
                }
            }
        }
    }
}
