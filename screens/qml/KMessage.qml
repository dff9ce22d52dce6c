import QtQuick
import QtQuick.Layouts

// A message line (an input error, a status, a note) that keeps its room while empty, so nothing
// below it moves when it appears (issue 17: a tap missed because the keypad jumped). `lines` lines
// are reserved; a longer message is elided there. Empty, it is out of the accessibility tree;
// shown, it is an alert (errors) or a status line.
KText {
    id: root
    property int lines: 1
    property bool alert: true
    Layout.fillWidth: true
    Layout.preferredHeight: Math.ceil(metrics.height * root.lineHeight) * root.lines
    height: Math.ceil(metrics.height * root.lineHeight) * root.lines
    maximumLineCount: root.lines
    elide: Text.ElideRight
    verticalAlignment: Text.AlignTop
    horizontalAlignment: Text.AlignHCenter
    font.bold: true
    color: root.alert ? theme.error : theme.text
    FontMetrics { id: metrics; font: root.font }
    Accessible.role: root.alert ? Accessible.AlertMessage : Accessible.StatusBar
    Accessible.name: root.text
    Accessible.ignored: root.text === ""
}
