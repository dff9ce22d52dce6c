import QtQuick
import QtQuick.Layouts

// "Are you still there?" with a countdown; any touch continues.
Rectangle {
    id: overlay
    color: "#cc000000"
    visible: vm.view.warning >= 0
    MouseArea { anchors.fill: parent; onClicked: vm.activity() }

    Rectangle {
        anchors.centerIn: parent
        width: parent.width * 0.6
        height: box.implicitHeight + theme.gap * 4
        radius: theme.radius
        color: theme.surface
        ColumnLayout {
            id: box
            anchors.centerIn: parent
            width: parent.width - theme.gap * 4
            spacing: theme.gap * 1.5
            KText {
                Layout.fillWidth: true
                text: vm.t.timeout_title
                font.pixelSize: theme.fontTitle
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                Layout.fillWidth: true
                text: vm.t.timeout_body.arg(Math.max(0, vm.view.warning))
                horizontalAlignment: Text.AlignHCenter
            }
            KButton {
                objectName: "continue"
                Layout.alignment: Qt.AlignHCenter
                text: vm.t.timeout_continue
                onClicked: vm.activity()
            }
        }
    }
}
