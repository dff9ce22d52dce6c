import QtQuick
import QtQuick.Layouts

// Staff sign-in: the staff member's own number, then their PIN (shown as dots), on a digit
// keypad. Used for the manual identity check (a 帮办) and to enter maintenance (a technician).
// error: a message key from the sign-in (staff_wrong, staff_wait, staff_locked ...).
Item {
    id: root
    property string title: ""
    property string body: ""
    property string error: ""
    property int waitSeconds: 0
    property int triesLeft: 0
    property bool busy: error === "staff_checking"
    property int step: 0            // 0: staff number, 1: PIN
    property string number: ""
    property string pin: ""
    property string cardNumber: ""  // a checked staff card's number: only the PIN is asked
    property string cardBody: vm.t.staff_card_pin_body  // the body shown while a staff card is in
    signal submit(string number, string pin)
    signal cancel()

    onErrorChanged: if (error !== "" && error !== "staff_checking") { pin = ""; step = number === "" ? 0 : 1 }
    function takeCard() { number = cardNumber; pin = ""; step = cardNumber !== "" ? 1 : 0 }
    onCardNumberChanged: takeCard()
    Component.onCompleted: if (cardNumber !== "") takeCard()

    function typeKey(k) {
        if (step === 0 && number.length < 12) number += k
        else if (step === 1 && pin.length < 12) pin += k
    }
    function confirm() {
        if (step === 0) { if (number !== "") step = 1; return }
        var n = number, p = pin
        pin = ""
        root.submit(n, p)
    }
    function errorText() {
        var t = vm.t
        if (error === "" || error === "staff_checking") return busy ? t.staff_checking : ""
        if (error === "staff_wrong") return t.staff_wrong.arg(triesLeft).arg(waitSeconds)
        if (error === "staff_wait" || error === "staff_locked") return t[error].arg(waitSeconds)
        return t[error] || t.staff_wrong_plain
    }

    ColumnLayout {
        anchors.centerIn: parent
        width: parent.width - theme.gap * 6
        spacing: theme.gap * 0.75

        KText {
            Layout.fillWidth: true
            text: root.title
            font.pixelSize: theme.fontTitle
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
        KText {
            Layout.fillWidth: true
            text: root.cardNumber !== "" ? root.cardBody : root.body
            color: theme.muted
            horizontalAlignment: Text.AlignHCenter
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            spacing: theme.gap
            Repeater {
                model: [{ name: "staffNumberField", text: root.number,
                          label: root.cardNumber !== "" ? "▣ " + vm.t.staff_card_label : vm.t.staff_number_label },
                        { name: "staffPinField", label: vm.t.staff_pin_label, text: "●".repeat(root.pin.length) }]
                Rectangle {
                    objectName: modelData.name
                    Layout.preferredWidth: Math.min(root.width * 0.38, 620)
                    Layout.preferredHeight: theme.touch * 1.2
                    color: theme.surface
                    border.color: root.step === index ? theme.primary : theme.border
                    border.width: root.step === index ? 5 : 2
                    radius: theme.radius / 2
                    Accessible.role: Accessible.EditableText
                    Accessible.name: modelData.label
                    KText {
                        anchors.left: parent.left
                        anchors.leftMargin: theme.gap / 2
                        anchors.verticalCenter: parent.verticalCenter
                        text: modelData.label
                        color: theme.muted
                    }
                    KText {
                        anchors.right: parent.right
                        anchors.rightMargin: theme.gap / 2
                        anchors.verticalCenter: parent.verticalCenter
                        text: modelData.text
                        font.pixelSize: theme.fontLarge
                        font.letterSpacing: 4
                    }
                    MouseArea {
                        anchors.fill: parent
                        onClicked: { vm.activity(); if (root.cardNumber === "") root.step = index }
                    }
                }
            }
        }
        KMessage {
            objectName: "staffError"
            lines: 2
            alert: !root.busy
            text: root.errorText()
        }
        GridLayout {
            Layout.alignment: Qt.AlignHCenter
            columns: 5
            columnSpacing: theme.gap / 2
            rowSpacing: theme.gap / 2
            Repeater {
                model: "1234567890".split("")
                KButton {
                    objectName: "key_" + modelData
                    implicitWidth: theme.touch * 1.3
                    implicitHeight: theme.touch
                    text: modelData
                    kind: "secondary"
                    onClicked: root.typeKey(modelData)
                }
            }
        }
        RowLayout {
            Layout.alignment: Qt.AlignHCenter
            spacing: theme.gap
            KButton { objectName: "btn_staffBack"; text: vm.t.back; kind: "secondary"; onClicked: root.cancel() }
            KButton {
                objectName: "key_delete"; text: vm.t.keypad_delete; kind: "secondary"
                onClicked: {
                    if (root.step === 0) root.number = root.number.slice(0, -1); else root.pin = root.pin.slice(0, -1)
                }
            }
            KButton {
                objectName: "btn_confirm"
                text: root.step === 0 ? vm.t.staff_next : vm.t.confirm
                onClicked: if (!root.busy) root.confirm()
            }
        }
    }
}
