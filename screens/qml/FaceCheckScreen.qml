import QtQuick
import QtQuick.Layouts

// Guided capture: the live picture (mirrored, never saved) beside the current prompt.
Item {
    RowLayout {
        anchors.centerIn: parent
        spacing: theme.gap * 2

        Rectangle {
            objectName: "facePreviewFrame"
            Layout.preferredWidth: theme.assisted ? 720 : 800
            Layout.preferredHeight: Layout.preferredWidth * 3 / 4
            color: theme.header
            radius: theme.radius
            clip: true
            Accessible.role: Accessible.Graphic
            Accessible.name: vm.t.face_preview
            Image {  // frames from the camera thread via image://camera (memory only), mirrored
                objectName: "facePreview"
                anchors.fill: parent
                source: cameraFeed.frameUrl
                cache: false
                asynchronous: false
                mirror: true
                fillMode: Image.PreserveAspectCrop
            }
            Rectangle {  // where the face should be
                anchors.centerIn: parent
                width: parent.width * 0.38
                height: parent.height * 0.72
                radius: width / 2
                color: "transparent"
                border.color: "#ffffff"
                border.width: 4
                opacity: 0.85
            }
        }
        ColumnLayout {
            Layout.preferredWidth: theme.assisted ? 820 : 760
            spacing: theme.gap * 1.5
            KText {
                Layout.fillWidth: true
                text: vm.t.face_check_title
                font.pixelSize: theme.fontTitle
                font.bold: true
            }
            KText {
                objectName: "facePrompt"
                Layout.fillWidth: true
                text: vm.facePrompt ? vm.t[vm.facePrompt] : vm.t.face_check_body
                color: theme.primary
                font.pixelSize: theme.fontLarge * 1.25
                font.bold: true
            }
            KText {
                Layout.fillWidth: true
                text: vm.t.face_preview
                color: theme.muted
                font.pixelSize: theme.fontSmall
            }
        }
    }
}
