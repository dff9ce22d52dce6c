import QtQuick
import QtQuick.Layouts

// Service menu: one large tile per service.
Item {
    ColumnLayout {
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.top: parent.top
        anchors.topMargin: theme.gap * 2
        width: Math.min(parent.width - theme.gap * 8, 1500)
        spacing: theme.gap * 1.5
        KText {
            objectName: "personalGreeting"  // masked in a video-help call
            Layout.fillWidth: true
            text: vm.t.greeting.arg(vm.view.greetingName || "")
            color: theme.muted
            horizontalAlignment: Text.AlignHCenter
        }
        KText {
            Layout.fillWidth: true
            text: vm.t.service_menu_title
            font.pixelSize: theme.fontTitle
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        GridLayout {
          Layout.fillWidth: true
          columns: 2
          columnSpacing: theme.gap
          Repeater {
            model: vm.view.services || []
            Rectangle {
                objectName: "service_" + modelData
                Layout.fillWidth: true
                implicitHeight: tile.implicitHeight + theme.gap * 2
                radius: theme.radius
                color: theme.surface
                border.color: theme.primary
                border.width: 3
                Accessible.role: Accessible.Button
                // The whole tile for a screen reader: name, description and any mark (its texts are not separate nodes).
                Accessible.name: [vm.t[modelData], vm.t[modelData + "_desc"], statusText.text.replace("\n", "，")]
                                 .filter(x => x).join("，")
                Accessible.onPressAction: vm.chooseService(modelData)
                ColumnLayout {
                    id: tile
                    anchors.left: parent.left
                    anchors.right: parent.right
                    anchors.verticalCenter: parent.verticalCenter
                    anchors.margins: theme.gap * 1.5
                    KText { Layout.fillWidth: true; text: vm.t[modelData]; font.pixelSize: theme.fontLarge; font.bold: true; color: theme.primary
                            Accessible.ignored: true }
                    KText { Layout.fillWidth: true; text: vm.t[modelData + "_desc"]; color: theme.muted; Accessible.ignored: true }
                    // What will not work now and what else does (kiosk/journey_readiness.py; offline, it says
                    // an application can still be left). Two lines are always reserved, so a mark that comes
                    // or goes moves nothing.
                    KText {
                        id: statusText
                        objectName: "serviceStatus_" + modelData
                        readonly property string blocked: (vm.view.serviceBlocked || {})[modelData] || ""
                        Layout.fillWidth: true
                        Layout.preferredHeight: Math.ceil(metrics.height * lineHeight) * 2 + 4
                        FontMetrics { id: metrics; font: statusText.font }
                        maximumLineCount: 2
                        elide: Text.ElideRight
                        font.pixelSize: theme.fontSmall
                        verticalAlignment: Text.AlignTop
                        color: theme.error
                        font.bold: true
                        Accessible.ignored: true  // part of the tile's name
                        text: blocked === "" ? "" : (blocked.indexOf("platform_") === 0 ? vm.t.tile_blocked_platform
                              : vm.t.tile_blocked_printer.arg(vm.t[blocked] || vm.t.printer_error))
                              + "\n" + (vm.t[(vm.view.serviceAlternative || {})[modelData]] || "")
                    }
                }
                Layout.fillHeight: true
                Layout.preferredWidth: 1
                MouseArea { anchors.fill: parent; onClicked: { vm.activity(); vm.chooseService(modelData) } }
            }
          }
        }
        KButton {
            objectName: "btn_finish"
            Layout.alignment: Qt.AlignHCenter
            text: vm.t.end
            kind: "secondary"
            onClicked: vm.finish()
        }
    }
}
