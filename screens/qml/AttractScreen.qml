import QtQuick
import QtQuick.Layouts

// Welcome: place a card or touch Start; language and assisted mode switches.
Item {
    id: root
    ColumnLayout {
        anchors.centerIn: parent
        width: parent.width - theme.gap * 8
        spacing: theme.gap * 2

        KText {
            Layout.fillWidth: true
            text: vm.t.attract_title
            font.pixelSize: theme.fontHuge
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        KText {
            Layout.fillWidth: true
            text: vm.t.attract_body
            color: theme.muted
            font.pixelSize: theme.fontLarge
            horizontalAlignment: Text.AlignHCenter
        }
        KButton {
            objectName: "start"
            Layout.alignment: Qt.AlignHCenter
            Layout.preferredWidth: theme.touch * 5
            Layout.preferredHeight: theme.touch * 1.5
            text: vm.t.attract_start
            fontSize: theme.fontTitle
            onClicked: vm.start()
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            Layout.topMargin: theme.gap * 2
            spacing: theme.gap * 1.5
            KButton {
                objectName: "assistedToggle"
                text: theme.assisted ? vm.t.assisted_on : vm.t.assisted_off
                kind: theme.assisted ? "primary" : "secondary"
                onClicked: vm.setAssisted(!theme.assisted)
            }
            // Standard mode: one button per language. Assisted mode: one button that cycles.
            Repeater {
                model: theme.assisted ? [] : ["zh-CN", "zh-TW", "en"]
                KButton {
                    objectName: "lang_" + modelData
                    text: vm.t["lang_" + modelData]
                    kind: vm.view.language === modelData ? "primary" : "secondary"
                    onClicked: vm.setLanguage(modelData)
                }
            }
            KButton {
                objectName: "languageCycle"
                visible: theme.assisted
                text: vm.t.language + "：" + vm.t["lang_" + vm.view.language]
                kind: "secondary"
                onClicked: vm.cycleLanguage()
            }
        }
    }
    // Said before anyone starts: what cannot be done now and what can (kiosk/journey_readiness.py).
    // One line under the header, outside the centred column: it never moves the buttons.
    KText {
        id: readinessText
        objectName: "attractReadiness"
        readonly property string note: vm.view.readinessNote || ""
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.leftMargin: theme.gap * 2
        anchors.rightMargin: theme.gap * 2
        anchors.topMargin: theme.gap / 2
        height: Math.ceil(metrics.height * lineHeight) + 4
        FontMetrics { id: metrics; font: readinessText.font }
        font.pixelSize: theme.fontSmall
        maximumLineCount: 1
        elide: Text.ElideRight
        horizontalAlignment: Text.AlignHCenter
        color: theme.error
        font.bold: true
        Accessible.role: Accessible.StaticText
        Accessible.ignored: note === ""
        text: note === "" ? "" : (note.indexOf("platform_") === 0 ? vm.t.tile_blocked_platform
              : vm.t.tile_blocked_printer.arg(vm.t[note] || vm.t.printer_error))
              + "。" + (vm.t[vm.view.readinessAlternative] || "")
    }
}
