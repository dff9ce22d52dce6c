import QtQuick
import QtQuick.Layouts

// 好差评: five levels; assisted mode asks good / so-so / not good first.
Item {
    ColumnLayout {
        anchors.centerIn: parent
        width: parent.width - theme.gap * 8
        spacing: theme.gap * 2
        KText {
            Layout.fillWidth: true
            text: vm.t.rating_title
            font.pixelSize: theme.fontTitle
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        KText {
            objectName: "ratingSubject"  // what is rated: only what was done (kiosk/journey_fallback.py)
            Layout.fillWidth: true
            text: vm.t[vm.view.ratingSubject] || ""
            color: theme.muted
            font.pixelSize: theme.fontLarge
            horizontalAlignment: Text.AlignHCenter
        }
        Flow {
            Layout.alignment: Qt.AlignHCenter
            Layout.preferredWidth: Math.min(implicitWidth, parent.width)
            spacing: theme.gap
            Repeater {
                model: vm.view.levels || []
                KButton {
                    objectName: "rate_" + modelData
                    text: vm.t["rate_" + modelData]
                    kind: modelData >= 3 ? "primary" : "secondary"
                    onClicked: vm.rate(modelData)
                }
            }
            Repeater {
                model: vm.view.groups || []
                KButton {
                    objectName: "group_" + modelData
                    text: vm.t["group_" + modelData]
                    kind: modelData === "bad" ? "secondary" : "primary"
                    onClicked: vm.rateGroup(modelData)
                }
            }
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            spacing: theme.gap * 1.5
            KButton {
                // Assisted rating, step 2 (which of 满意/非常满意...): back to good / so-so / not good.
                objectName: "btn_back"
                visible: vm.view.assisted === true && (vm.view.levels || []).length > 0
                text: vm.t.back
                kind: "secondary"
                onClicked: vm.back()
            }
            KButton {
                objectName: "btn_skip"
                text: vm.t.skip
                kind: "secondary"
                onClicked: vm.skipRating()
            }
        }
    }
}
