import QtQuick
import QtQuick.Layouts

// Separate consent before the camera turns on: why, what is kept, for how long, and that
// saying no costs nothing (a staff member checks the card instead).
Item {
    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - theme.gap * 8, 1500)
        spacing: theme.gap

        KText {
            Layout.fillWidth: true
            text: vm.t.face_consent_title
            font.pixelSize: theme.fontTitle
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: points.implicitHeight + theme.gap * 2
            color: theme.surface
            border.color: theme.border
            border.width: 2
            radius: theme.radius
            ColumnLayout {
                id: points
                anchors.left: parent.left
                anchors.right: parent.right
                anchors.verticalCenter: parent.verticalCenter
                anchors.margins: theme.gap * 1.5
                spacing: theme.gap * 0.75
                Repeater {
                    model: ["face_consent_purpose", "face_consent_kept", "face_consent_duration"]
                    KText { objectName: modelData; Layout.fillWidth: true; text: vm.t[modelData] }
                }
            }
        }
        KText {
            objectName: "face_consent_optional"
            Layout.fillWidth: true
            text: vm.t.face_consent_optional
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        Flow {
            Layout.alignment: Qt.AlignHCenter
            Layout.topMargin: theme.gap * 0.5
            spacing: theme.gap * 1.5
            KButton { objectName: "btn_faceAgree"; text: vm.t.face_agree; onClicked: vm.faceConsent(true) }
            KButton { objectName: "btn_faceDecline"; text: vm.t.face_decline; kind: "secondary"; onClicked: vm.faceConsent(false) }
        }
    }
}
