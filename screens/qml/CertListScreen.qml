import QtQuick
import QtQuick.Layouts

// The holder's certificates, a page at a time (two per page in assisted mode).
Item {
    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - theme.gap * 8, 1500)
        spacing: theme.gap
        KText {
            Layout.fillWidth: true
            text: vm.t.cert_list_title
            font.pixelSize: theme.fontTitle
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        KText {
            Layout.fillWidth: true
            visible: (vm.view.certificates || []).length === 0
            text: vm.t.certs_empty
            color: theme.muted
            font.pixelSize: theme.fontLarge
            horizontalAlignment: Text.AlignHCenter
        }
        GridLayout {
            Layout.fillWidth: true
            columns: theme.assisted ? 1 : 2
            columnSpacing: theme.gap
            rowSpacing: theme.gap
            Repeater {
                model: vm.view.certificates || []
                Rectangle {
                    objectName: "cert_" + modelData.id
                    Layout.fillWidth: true
                    implicitHeight: Math.max(theme.touch, row.implicitHeight + theme.gap * 2)
                    radius: theme.radius
                    color: theme.surface
                    border.color: theme.primary
                    border.width: 3
                    Accessible.role: Accessible.Button
                    Accessible.name: modelData.name + "，" + modelData.issuer + "  ·  " + vm.t.issued_on.arg(modelData.issued)
                    Accessible.onPressAction: vm.selectCertificate(modelData.id)
                    ColumnLayout {
                        id: row
                        anchors.left: parent.left
                        anchors.right: parent.right
                        anchors.verticalCenter: parent.verticalCenter
                        anchors.margins: theme.gap
                        KText { Layout.fillWidth: true; text: modelData.name; font.pixelSize: theme.fontLarge; font.bold: true; color: theme.primary
                                Accessible.ignored: true }
                        KText { Layout.fillWidth: true; text: modelData.issuer + "  ·  " + vm.t.issued_on.arg(modelData.issued); color: theme.muted
                                Accessible.ignored: true }
                    }
                    MouseArea { anchors.fill: parent; onClicked: { vm.activity(); vm.selectCertificate(modelData.id) } }
                }
            }
        }
        KText {
            Layout.fillWidth: true
            visible: vm.view.pages > 1
            text: vm.t.page_of.arg(vm.view.page + 1).arg(vm.view.pages)
            color: theme.muted
            horizontalAlignment: Text.AlignHCenter
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            spacing: theme.gap * 1.5
            KButton { objectName: "btn_back"; text: vm.t.back; kind: "secondary"; onClicked: vm.back() }
            KButton {
                objectName: "btn_prev"
                visible: !theme.assisted && vm.view.pages > 1
                text: vm.t.prev_page; kind: "secondary"; onClicked: vm.turnPage(-1)
            }
            KButton {
                objectName: "btn_next"
                visible: vm.view.pages > 1
                text: theme.assisted ? vm.t.more_certs : vm.t.next_page
                kind: "secondary"; onClicked: vm.turnPage(1)
            }
            KButton { objectName: "btn_finish"; visible: !theme.assisted; text: vm.t.finish; kind: "secondary"; onClicked: vm.finish() }
        }
    }
}
