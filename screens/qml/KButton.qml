import QtQuick

// A touch button: at least theme.touch high, named for screen readers.
Rectangle {
    id: root
    property string text: ""
    property string kind: "primary"   // primary | secondary | accent
    property int fontSize: theme.fontLarge
    signal clicked()

    objectName: "kbutton"
    implicitWidth: Math.max(theme.touch * 2.5, label.implicitWidth + theme.gap * 2)
    implicitHeight: Math.max(theme.touch, label.implicitHeight + theme.gap)
    radius: theme.radius
    color: kind === "primary" ? theme.primary : (kind === "accent" ? theme.accent : theme.surface)
    border.color: kind === "secondary" ? theme.primary : color
    border.width: 3
    activeFocusOnTab: true

    Accessible.role: Accessible.Button
    Accessible.name: root.text
    Accessible.focusable: true
    Accessible.ignored: !root.visible  // a hidden button is out of the tree
    Accessible.onPressAction: root.clicked()
    Keys.onReturnPressed: root.clicked()
    Keys.onSpacePressed: root.clicked()

    Text {
        id: label
        anchors.centerIn: parent
        width: root.width - theme.gap
        text: root.text
        color: root.kind === "secondary" ? theme.primary : theme.onPrimary
        Accessible.ignored: true  // the button is named after it
        font.pixelSize: root.fontSize
        font.family: theme.fontFamily
        font.bold: true
        wrapMode: Text.WordWrap
        horizontalAlignment: Text.AlignHCenter
    }
    MouseArea {
        anchors.fill: parent
        onClicked: { vm.activity(); root.clicked() }
    }
}
