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
}
