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
            objectName: "appTitle"
            text: vm.t.app_title
            Layout.minimumWidth: implicitWidth
            color: theme.onPrimary
            font.pixelSize: theme.fontLarge
            font.family: theme.fontFamily
            font.bold: true
        }
        // The status area: the offline badge, the reader and the staff call's state. It takes the room
        // left between the title and the buttons and elides there, so a status that comes or goes never
        // moves a button (the buttons keep their own width).
        Item {
            objectName: "headerStatus"
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.minimumWidth: 0
            RowLayout {
                anchors.fill: parent
                spacing: theme.gap
                Item { Layout.fillWidth: true }
                Rectangle {
                    // Offline: a white badge with red text, seen from a step away and not mistaken for a button.
                    objectName: "offlineBadge"
                    visible: !vm.online
                    color: theme.surface
                    radius: theme.radius
                    border.color: theme.accent
                    border.width: 3
                    Layout.maximumWidth: implicitWidth
                    Layout.fillWidth: true
                    implicitWidth: offlineText.implicitWidth + theme.gap * 2
                    implicitHeight: offlineText.implicitHeight + theme.gap
                    Accessible.role: Accessible.StatusBar
                    Accessible.name: offlineText.text
                    Text {
                        id: offlineText
                        anchors.centerIn: parent
                        width: Math.min(implicitWidth, parent.width - theme.gap * 2)
                        elide: Text.ElideRight
                        text: "\u26a0 " + vm.t.offline
                        color: theme.accent
                        font.pixelSize: theme.fontBody
                        font.family: theme.fontFamily
                        font.bold: true
                        Accessible.ignored: true  // the badge speaks for it
                    }
                }
                Text {
                    objectName: "readerLost"
                    visible: !vm.readerOk
                    Layout.fillWidth: true
                    Layout.maximumWidth: implicitWidth
                    elide: Text.ElideRight
                    text: vm.t.reader_lost
                    color: theme.onPrimary
                    font.pixelSize: theme.fontBody
                    font.family: theme.fontFamily
                    Accessible.role: Accessible.StatusBar
                    Accessible.name: text
                }
                Text {
                    // What became of the staff call: sent, answered (by whom), not answered, or waiting for the network.
                    objectName: "staffCallState"
                    readonly property var call: vm.view.staffCall || ({ state: "none" })
                    visible: call.state !== "none"
                    Layout.fillWidth: true
                    Layout.maximumWidth: implicitWidth
                    elide: Text.ElideRight
                    text: call.state === "acknowledged" ? vm.t.staff_call_acknowledged.arg(call.staffId)
                          : (vm.t["staff_call_" + call.state] || "")
                    color: call.state === "unanswered" || call.state === "queued" ? theme.surface : theme.onPrimary
                    font.pixelSize: theme.fontBody
                    font.family: theme.fontFamily
                    font.bold: call.state === "acknowledged" || call.state === "unanswered"
                    Accessible.role: Accessible.StatusBar
                    Accessible.name: text
                }
            }
        }
        KButton {
            objectName: "cancelStaffCall"
            visible: vm.view.staffCall !== undefined && vm.view.staffCall.canCancel === true
            Layout.minimumWidth: implicitWidth
            text: vm.t.staff_call_cancel
            kind: "secondary"
            fontSize: theme.fontBody
            onClicked: vm.cancelStaffCall()
        }
        KButton {
            // Always there: calls staff, or calls again while a call is open. Fixed width: nothing moves.
            objectName: "callStaff"
            readonly property bool again: vm.view.staffCall !== undefined && vm.view.staffCall.canRepeat === true
            text: again ? vm.t.staff_call_again : vm.t.call_staff
            Layout.preferredWidth: Math.max(implicitWidth, sizer.implicitWidth + theme.gap * 2)
            Layout.minimumWidth: Layout.preferredWidth
            kind: "accent"
            fontSize: theme.fontBody
            // An open call is repeated; otherwise the help chooser (video help, issue 18) or a person.
            onClicked: again ? vm.callStaff() : videoHelp.ask()
            Text { id: sizer; visible: false; text: vm.t.call_staff; font.pixelSize: theme.fontBody
                   font.family: theme.fontFamily; font.bold: true }
        }
    }
}
