import QtQuick
import QtQuick.Layouts

// On-screen keypad: digits and USCC letters for a business (staff sign in on StaffSignIn.qml).
Item {
    id: root
    property bool uscc: vm.view.screen === "uscc_entry"
    property string entry: ""
    property var keys: uscc ? "0123456789ABCDEFGHJKLMNPQRTUWXY".split("") : "1234567890".split("")
    property int maxLength: uscc ? 18 : 8

    Connections {
        target: vm
        function onViewChanged() { if (vm.view.screen !== "uscc_entry") root.entry = "" }
    }

    ColumnLayout {
        anchors.centerIn: parent
        width: parent.width - theme.gap * 6
        spacing: theme.gap

        KText {
            Layout.fillWidth: true
            text: vm.t.uscc_entry_title
            font.pixelSize: theme.fontTitle
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        KMessage {
            // The hint, or in its place the error: the keys below never move when an error shows.
            objectName: "inputError"
            alert: vm.view.inputError !== ""
            color: alert ? theme.error : theme.muted
            font.bold: alert
            text: alert ? (vm.t[vm.view.inputError] || vm.t.uscc_invalid) : vm.t.uscc_hint
            Accessible.role: alert ? Accessible.AlertMessage : Accessible.StaticText
        }
        Rectangle {
            objectName: "entryField"
            Layout.alignment: Qt.AlignHCenter
            Layout.preferredWidth: Math.min(root.width * 0.8, 1200)
            Layout.preferredHeight: theme.touch
            color: theme.surface
            border.color: theme.border
            border.width: 2
            radius: theme.radius / 2
            Accessible.role: Accessible.EditableText
            Accessible.name: vm.t.uscc_entry_title
            KText {
                anchors.centerIn: parent
                text: root.uscc ? root.entry : "●".repeat(root.entry.length)
                font.pixelSize: theme.fontLarge
                font.letterSpacing: 4
            }
        }
        GridLayout {
            Layout.alignment: Qt.AlignHCenter
            columns: root.uscc ? 11 : 5
            columnSpacing: theme.gap / 2
            rowSpacing: theme.gap / 2
            Repeater {
                model: root.keys
                KButton {
                    objectName: "key_" + modelData
                    implicitWidth: theme.touch
                    implicitHeight: theme.touch
                    text: modelData
                    kind: "secondary"
                    onClicked: if (root.entry.length < root.maxLength) root.entry += modelData
                }
            }
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            spacing: theme.gap * 1.5
            KButton { objectName: "btn_back"; visible: root.uscc; text: vm.t.back; kind: "secondary"; onClicked: vm.back() }
            KButton { objectName: "key_delete"; text: vm.t.keypad_delete; kind: "secondary"; onClicked: root.entry = root.entry.slice(0, -1) }
            KButton { objectName: "key_clear"; text: vm.t.keypad_clear; kind: "secondary"; onClicked: root.entry = "" }
            KButton {
                objectName: "btn_confirm"
                text: vm.t.confirm
                onClicked: vm.enterUscc(root.entry)
            }
        }
    }
}
