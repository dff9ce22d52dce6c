import QtQuick
import QtQuick.Layouts

// Read-only preview of the selected certificate, then its purpose.
Item {
    id: root
    property bool choosePurpose: vm.view.screen === "purpose"
    RowLayout {
        anchors.fill: parent
        anchors.margins: theme.gap * 2
        spacing: theme.gap * 2

        Rectangle {
            Layout.fillHeight: true
            Layout.preferredWidth: parent.width * 0.55
            color: theme.surface
            border.color: theme.border
            border.width: 2
            radius: theme.radius / 2
            Flickable {
                anchors.fill: parent
                anchors.margins: theme.gap * 1.5
                contentHeight: doc.implicitHeight
                clip: true
                ColumnLayout {
                    id: doc
                    width: parent.width
                    spacing: theme.gap / 2
                    KText {
                        Layout.fillWidth: true
                        text: vm.view.certificate ? vm.view.certificate.name : ""
                        font.pixelSize: theme.fontTitle
                        font.bold: true
                        horizontalAlignment: Text.AlignHCenter
                    }
                    Repeater {
                        model: vm.view.certificate ? vm.view.certificate.rows : []
                        RowLayout {
                            Layout.fillWidth: true
                            spacing: theme.gap
                            KText {
                                Layout.preferredWidth: doc.width * 0.32
                                text: vm.t[modelData[0]] || modelData[0]
                                color: theme.muted
                            }
                            KText {
                                Layout.fillWidth: true
                                text: vm.t[modelData[1]] || modelData[1]
                                wrapMode: Text.WrapAnywhere
                            }
                        }
                    }
                }
            }
        }
        ColumnLayout {
            Layout.fillWidth: true
            Layout.alignment: Qt.AlignVCenter
            spacing: theme.gap * 1.5
            KText {
                Layout.fillWidth: true
                text: root.choosePurpose ? vm.t.purpose_title : vm.t.preview_title
                font.pixelSize: theme.fontTitle
                font.bold: true
            }
            KText {
                Layout.fillWidth: true
                visible: root.choosePurpose
                text: vm.t.purpose_body
                color: theme.muted
            }
            Repeater {
                model: root.choosePurpose ? (vm.view.purposes || []) : []
                KButton {
                    objectName: "btn_" + modelData
                    Layout.fillWidth: true
                    text: vm.t[modelData]
                    onClicked: vm.choosePurpose(modelData)
                }
            }
            KButton {
                objectName: "btn_print"
                visible: !root.choosePurpose
                Layout.fillWidth: true
                text: vm.t.print
                onClicked: vm.confirmPreview()
            }
            KButton {
                objectName: "btn_back"
                Layout.fillWidth: true
                text: vm.t.back
                kind: "secondary"
                onClicked: vm.back()
            }
        }
    }
}
