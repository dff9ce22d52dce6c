import QtQuick
import QtQuick.Layouts

// Top bar: title, connection state, and the call-staff button on every screen.
Rectangle {
    id: bar
    color: theme.header
    height: theme.touch + theme.gap * 2

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: theme.gap * 2
        anchors.rightMargin: theme.gap * 2
        spacing: theme.gap
        Text {
            text: vm.t.app_title
            color: theme.onPrimary
            font.pixelSize: theme.fontLarge
            font.family: theme.fontFamily
            font.bold: true
        }
        Item { Layout.fillWidth: true }
        Rectangle {
            // Offline: a white badge with red text, seen from a step away and not mistaken for a button.
            objectName: "offlineBadge"
            visible: !vm.online
            color: theme.surface
            radius: theme.radius
            border.color: theme.accent
            border.width: 3
            implicitWidth: offlineText.implicitWidth + theme.gap * 2
            implicitHeight: offlineText.implicitHeight + theme.gap
            Text {
                id: offlineText
                anchors.centerIn: parent
                text: "\u26a0 " + vm.t.offline
                color: theme.accent
                font.pixelSize: theme.fontBody
                font.family: theme.fontFamily
                font.bold: true
            }
        }
        Text {
            visible: !vm.readerOk
            text: vm.t.reader_lost
            color: theme.onPrimary
            font.pixelSize: theme.fontBody
            font.family: theme.fontFamily
        }
        Text {
            visible: vm.view.staffCalled === true
            text: vm.t.staff_called
            color: theme.onPrimary
            font.pixelSize: theme.fontBody
            font.family: theme.fontFamily
        }
        KButton {
            objectName: "callStaff"
            visible: vm.view.staffCalled !== true
            text: vm.t.call_staff
            kind: "accent"
            fontSize: theme.fontBody
            onClicked: videoHelp.ask()
        }
    }
}
