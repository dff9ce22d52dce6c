import QtQuick
import QtQuick.Layouts
import QtQuick.Window

// Demo control: place and remove the fictitious cards, and make devices fail.
Window {
    id: ctl
    objectName: "demoControl"
    width: 420
    height: 760
    visible: true
    title: "Kiosk demo control"
    flags: Qt.Window | Qt.WindowStaysOnTopHint
    color: "#ffffff"

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 8
        Text { text: "Place a card"; font.pixelSize: 20; font.bold: true; color: "#14181d" }
        Repeater {
            model: demo.people
            Rectangle {
                objectName: "person_" + index
                Layout.fillWidth: true
                implicitHeight: 48
                radius: 8
                color: "#0a4a8f"
                Accessible.role: Accessible.Button
                Accessible.name: modelData
                Text { anchors.centerIn: parent; width: parent.width - 16; horizontalAlignment: Text.AlignHCenter; elide: Text.ElideRight; text: modelData; color: "white"; font.pixelSize: 18 }
                MouseArea { anchors.fill: parent; onClicked: demo.insert(index) }
            }
        }
        Repeater {
            model: [["Unreadable card", "unreadable"], ["Remove card", "remove"], ["Printer: out of paper on/off", "paper"],
                    ["Next face check fails", "face_fail"], ["Reader unplugged/plugged", "reader"]]
            Rectangle {
                objectName: "demo_" + modelData[1]
                Layout.fillWidth: true
                implicitHeight: 48
                radius: 8
                color: "#39424d"
                Accessible.role: Accessible.Button
                Accessible.name: modelData[0]
                Text { anchors.centerIn: parent; width: parent.width - 16; horizontalAlignment: Text.AlignHCenter; elide: Text.ElideRight; text: modelData[0]; color: "white"; font.pixelSize: 18 }
                MouseArea { anchors.fill: parent; onClicked: demo.act(modelData[1]) }
            }
        }
        Text { Layout.fillWidth: true; wrapMode: Text.WordWrap; text: "Demo staff (maintenance: tap the top-left corner 5 times, or put their staff card in; tap again to take it out)"; font.pixelSize: 16; font.bold: true; color: "#14181d" }
        Repeater {
            model: demo.staff
            Rectangle {
                objectName: "staff_card_" + index
                Layout.fillWidth: true
                implicitHeight: 36
                radius: 8
                color: "#e8edf3"
                Accessible.role: Accessible.Button
                Accessible.name: modelData
                Text { anchors.centerIn: parent; width: parent.width - 16; elide: Text.ElideRight; text: "▣ " + modelData; font.pixelSize: 15; color: "#14181d" }
                MouseArea { anchors.fill: parent; onClicked: demo.act("staff_card:" + index) }
            }
        }
        Text { Layout.fillWidth: true; text: demo.status; wrapMode: Text.WordWrap; font.pixelSize: 15; color: "#39424d" }
    }
}
