import QtQuick
import QtQuick.Layouts

// Video help (远程帮办) over the journey's screen: the choice of help, consent, the call, the rating.
// During the call the citizen's screen stays usable: only a bar, the agent's picture and the
// agent's highlight sit on top of it.
Item {
    id: root
    readonly property var v: videoHelp.view
    readonly property string state_: v.state || "idle"
    readonly property bool modal: state_ !== "idle" && state_ !== "connected"
    visible: state_ !== "idle"

    // ------------------------------------------------------------ dialogs (choose, consent, waiting, ended, rating)
    Rectangle {
        anchors.fill: parent
        visible: root.modal
        color: "#cc000000"
        MouseArea { anchors.fill: parent; onClicked: vm.activity() }

        Rectangle {
            objectName: "videoDialog"
            anchors.centerIn: parent
            width: parent.width * 0.66
            height: box.implicitHeight + theme.gap * 4
            radius: theme.radius
            color: theme.surface
            ColumnLayout {
                id: box
                anchors.centerIn: parent
                width: parent.width - theme.gap * 4
                spacing: theme.gap * 1.5
                KText {
                    objectName: "videoTitle"
                    Layout.fillWidth: true
                    font.pixelSize: theme.fontTitle
                    font.bold: true
                    horizontalAlignment: Text.AlignHCenter
                    text: ({ choosing: vm.t.help_choose_title, consent: vm.t.video_consent_title,
                             connecting: vm.t.video_connecting, no_answer: vm.t.video_no_answer,
                             ended: vm.t[root.v.message] || "", rating: vm.t.video_rate })[root.state_] || ""
                }
                KText {
                    objectName: "videoBody"
                    Layout.fillWidth: true
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.WordWrap
                    visible: text !== ""
                    text: ({ consent: vm.t.video_consent_body,
                             connecting: (vm.t.video_waited || "").arg(root.v.waited || 0),
                             no_answer: vm.t.video_no_answer_body })[root.state_] || ""
                }
                // The choice of help
                KButton {
                    objectName: "helpComes"
                    Layout.fillWidth: true
                    visible: root.state_ === "choosing" || root.state_ === "no_answer"
                    text: vm.t.help_someone_comes
                    onClicked: videoHelp.someoneComes()
                }
                KButton {
                    objectName: "helpVideo"
                    Layout.fillWidth: true
                    visible: root.state_ === "choosing" && root.v.available === true
                    text: vm.t.help_video
                    onClicked: videoHelp.chooseVideo()
                }
                // Consent
                KButton {
                    objectName: "videoAgree"
                    Layout.fillWidth: true
                    visible: root.state_ === "consent"
                    text: vm.t.video_agree
                    onClicked: videoHelp.consent(true)
                }
                KButton {
                    objectName: "videoDecline"
                    Layout.fillWidth: true
                    visible: root.state_ === "consent"
                    kind: "secondary"
                    text: vm.t.video_decline
                    onClicked: videoHelp.consent(false)
                }
                // Rating: five levels; three in assisted mode (good, so-so, bad on the same scale)
                Flow {
                    Layout.alignment: Qt.AlignHCenter
                    Layout.preferredWidth: Math.min(implicitWidth, parent.width)
                    spacing: theme.gap
                    visible: root.state_ === "rating"
                    Repeater {
                        model: theme.assisted ? [5, 3, 1] : [5, 4, 3, 2, 1]
                        KButton {
                            objectName: "videoRate_" + modelData
                            text: theme.assisted ? vm.t["group_" + (modelData === 5 ? "good" : modelData === 3 ? "neutral" : "bad")]
                                                 : vm.t["rate_" + modelData]
                            kind: modelData >= 3 ? "primary" : "secondary"
                            onClicked: videoHelp.rate(modelData)
                        }
                    }
                }
                KButton {
                    objectName: "videoCancel"
                    Layout.alignment: Qt.AlignHCenter
                    kind: "secondary"
                    visible: root.state_ !== "consent"
                    text: root.state_ === "connecting" ? vm.t.video_cancel
                          : root.state_ === "rating" ? vm.t.skip : vm.t.video_close
                    onClicked: root.state_ === "connecting" ? videoHelp.hangUp() : videoHelp.close()
                }
            }
        }
    }

    // ------------------------------------------------------------ in the call: a bar, the agent's picture, the highlight
    Rectangle {
        id: bar
        objectName: "videoBar"
        visible: root.state_ === "connected"
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        height: Math.max(theme.touch, status.implicitHeight) + theme.gap * 2
        color: theme.header
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: theme.gap * 2
            anchors.rightMargin: theme.gap * 2
            spacing: theme.gap * 2
            Text {
                id: status
                objectName: "videoStatus"
                text: vm.t.video_connected + "  ·  " + (vm.t[root.v.message] || "")
                color: theme.onPrimary
                font.pixelSize: theme.fontBody
                font.family: theme.fontFamily
                Layout.fillWidth: true
                wrapMode: Text.WordWrap
                maximumLineCount: 2
                elide: Text.ElideRight
            }
            KButton {
                objectName: "videoPersonal"
                kind: "secondary"
                fontSize: theme.fontBody
                text: root.v.showPersonal ? vm.t.video_hide_personal : vm.t.video_show_personal
                onClicked: videoHelp.togglePersonal()
            }
            KButton {
                objectName: "videoHangUp"
                kind: "accent"
                fontSize: theme.fontLarge
                text: vm.t.video_hang_up
                onClicked: videoHelp.hangUp()
            }
        }
    }

    Rectangle {
        objectName: "agentPicture"
        visible: root.state_ === "connected"
        anchors.right: parent.right
        anchors.bottom: bar.top
        anchors.margins: theme.gap
        width: root.v.enlarged ? parent.width * 0.5 : parent.width * 0.2
        height: width * 3 / 4
        color: "black"
        border.color: theme.onPrimary
        border.width: 3
        Image {
            anchors.fill: parent
            anchors.margins: 3
            fillMode: Image.PreserveAspectFit
            cache: false
            source: root.v.agentFrame || ""
        }
        KText {
            anchors.centerIn: parent
            visible: !root.v.agentVideo
            color: theme.onPrimary
            text: vm.t.video_agent_voice_only
        }
        MouseArea { anchors.fill: parent; onClicked: videoHelp.toggleAgentPicture() }
        Accessible.role: Accessible.Button
        Accessible.name: vm.t.video_enlarge
        Accessible.ignored: !visible
    }
}
