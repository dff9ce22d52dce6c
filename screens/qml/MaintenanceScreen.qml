import QtQuick
import QtQuick.Layouts

// Maintenance mode (technicians): sign-in, every part's status with its self-test, and the
// actions (readiness report, support bundle, out of service, restart). maint.state drives it.
// Nothing personal is shown: part states, counts, file names, the pseudonymous staff id.
Item {
    id: root
    readonly property var st: maint.state
    readonly property string page: st.page || "sign_in"
    readonly property string part: page.indexOf("part:") === 0 ? page.slice(5) : ""
    readonly property var partCheck: {
        var list = st.checks || []
        for (var i = 0; i < list.length; i++) if (list[i].part === root.part) return list[i]
        return null
    }

    function label(p) { return vm.t["part_" + p] || p }
    function mark(ok) { return ok ? "✔ " + vm.t.maint_ok : "✖ " + vm.t.maint_problem }

    Loader {
        anchors.fill: parent
        sourceComponent: root.page === "sign_in" ? signIn : (root.page === "home" ? home : (root.page === "actions" ? actions : partPage))
    }

    Component {
        id: signIn
        StaffSignIn {
            objectName: "maintSignIn"
            title: vm.t.maint_title
            body: vm.t.maint_sign_in_body
            error: root.st.signInError || ""
            waitSeconds: root.st.waitSeconds || 0
            triesLeft: root.st.triesLeft || 0
            cardNumber: root.st.cardNumber || ""
            onSubmit: (number, pin) => maint.signIn(number, pin)
            onCancel: maint.signOut()
        }
    }

    component Title: RowLayout {
        property string text: ""
        Layout.fillWidth: true
        spacing: theme.gap
        KText { text: parent.text; font.pixelSize: theme.fontTitle; font.bold: true; wrapMode: Text.NoWrap }
        KText {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignRight
            text: vm.t.maint_staff.arg(root.st.staffId || "") + (root.st.busy ? "   · " + vm.t.maint_working : "")
            color: theme.muted
        }
    }

    component Result: KText {
        objectName: "maintResult"
        Layout.fillWidth: true
        visible: text !== ""
        text: root.st.result || ""
        font.bold: true
    }

    Component {
        id: home
        ColumnLayout {
            anchors.fill: parent
            anchors.margins: theme.gap
            spacing: theme.gap / 2
            Title { text: vm.t.maint_title }
            GridLayout {
                Layout.fillWidth: true
                columns: 2
                columnSpacing: theme.gap
                rowSpacing: theme.gap / 3
                Repeater {
                    model: root.st.checks || []
                    Rectangle {
                        objectName: "part_" + modelData.part
                        Layout.fillWidth: true
                        Layout.preferredHeight: theme.touch
                        radius: theme.radius / 2
                        color: theme.surface
                        border.color: modelData.ok ? theme.border : theme.error
                        border.width: modelData.ok ? 2 : 4
                        Accessible.role: Accessible.Button
                        Accessible.name: root.label(modelData.part)
                        KText {
                            anchors.fill: parent
                            anchors.leftMargin: theme.gap / 2
                            anchors.rightMargin: theme.gap / 2
                            verticalAlignment: Text.AlignVCenter
                            elide: Text.ElideRight
                            wrapMode: Text.NoWrap
                            color: modelData.ok ? theme.text : theme.error
                            text: (modelData.ok ? "✔ " : "✖ ") + root.label(modelData.part) + " — " + modelData.summary
                        }
                        MouseArea { anchors.fill: parent; onClicked: { maint.touch(); maint.show("part:" + modelData.part) } }
                    }
                }
            }
            KText { visible: (root.st.checks || []).length === 0; text: vm.t.maint_working; color: theme.muted }
            Item { Layout.fillHeight: true }
            RowLayout {
                Layout.alignment: Qt.AlignHCenter
                spacing: theme.gap
                KButton { objectName: "btn_maintRefresh"; text: vm.t.maint_refresh; kind: "secondary"; onClicked: maint.refresh() }
                KButton { objectName: "btn_maintActions"; text: vm.t.maint_actions; onClicked: maint.show("actions") }
                KButton { objectName: "btn_maintSignOut"; text: vm.t.maint_sign_out; kind: "secondary"; onClicked: maint.signOut() }
            }
        }
    }

    Component {
        id: partPage
        ColumnLayout {
            anchors.fill: parent
            anchors.margins: theme.gap * 1.5
            spacing: theme.gap / 2
            Title { text: root.label(root.part) }
            KText {
                objectName: "partStatus"
                Layout.fillWidth: true
                visible: root.partCheck !== null
                text: root.partCheck ? root.mark(root.partCheck.ok) + " — " + root.partCheck.summary : ""
                color: root.partCheck && !root.partCheck.ok ? theme.error : theme.text
                font.pixelSize: theme.fontLarge
            }
            Repeater {
                model: root.partCheck ? root.partCheck.details : []
                KText { Layout.fillWidth: true; text: modelData; color: theme.muted }
            }
            KText {
                Layout.fillWidth: true
                visible: root.partCheck !== null && root.partCheck.fix !== ""
                text: root.partCheck ? vm.t.maint_fix.arg(root.partCheck.fix) : ""
            }
            KText { Layout.fillWidth: true; text: vm.t["maint_test_" + root.part] || ""; color: theme.muted }
            Rectangle {  // the camera self-test's live picture (memory only), mirrored like the face check's
                objectName: "maintCameraPreview"
                visible: root.part === "camera" && root.st.busy === "camera"
                Layout.alignment: Qt.AlignHCenter
                Layout.preferredWidth: 480
                Layout.preferredHeight: 360
                color: theme.header
                radius: theme.radius / 2
                clip: true
                Accessible.role: Accessible.Graphic
                Accessible.name: vm.t.face_preview
                Image {
                    anchors.fill: parent
                    source: parent.visible ? cameraFeed.frameUrl : ""
                    cache: false
                    mirror: true
                    fillMode: Image.PreserveAspectCrop
                }
            }
            Result { visible: text !== "" && !(root.partCheck && text.indexOf(root.partCheck.summary) === 0) }
            Item { Layout.fillHeight: true }
            RowLayout {
                Layout.alignment: Qt.AlignHCenter
                spacing: theme.gap
                KButton { objectName: "btn_selfTest"; text: vm.t.maint_self_test; onClicked: if (!root.st.busy) maint.selfTest(root.part) }
                KButton {
                    objectName: "btn_retryDead"; visible: root.part === "outbox"; text: vm.t.maint_retry_dead; kind: "secondary"
                    onClicked: maint.retryDead()
                }
                KButton {
                    objectName: "btn_outboxExport"; visible: root.part === "outbox"; text: vm.t.maint_bundle; kind: "secondary"
                    onClicked: maint.exportBundle()
                }
                KButton { objectName: "btn_maintBack"; text: vm.t.back; kind: "secondary"; onClicked: maint.show("home") }
            }
        }
    }

    Component {
        id: actions
        ColumnLayout {
            anchors.fill: parent
            anchors.margins: theme.gap * 1.5
            spacing: theme.gap
            Title { text: vm.t.maint_actions }
            KText {
                Layout.fillWidth: true
                text: root.st.outOfService ? vm.t.maint_is_out : vm.t.maint_is_in
                font.pixelSize: theme.fontLarge
            }
            KText {  // enrolment with the platform, and the 'kiosk enrol' hint when it is missing
                objectName: "maintEnrolment"
                readonly property var en: root.st.enrolment || ({})
                Layout.fillWidth: true
                visible: en.part === "enrolment"
                text: visible ? (en.ok ? "✔ " : "✖ ") + vm.t.part_enrolment + " — " + en.summary
                                + (en.fix ? "\n" + vm.t.maint_fix.arg(en.fix) : "") : ""
                color: en.ok === false ? theme.error : theme.text
            }
            Result {}
            Item { Layout.fillHeight: true }
            GridLayout {
                Layout.alignment: Qt.AlignHCenter
                columns: 4
                columnSpacing: theme.gap
                rowSpacing: theme.gap
                KButton { objectName: "btn_report"; text: vm.t.maint_report; onClicked: if (!root.st.busy) maint.readinessReport() }
                KButton { objectName: "btn_reportPrint"; text: vm.t.maint_report_print; onClicked: if (!root.st.busy) maint.printReport() }
                KButton { objectName: "btn_bundle"; text: vm.t.maint_bundle; kind: "secondary"; onClicked: if (!root.st.busy) maint.exportBundle() }
                KButton {
                    objectName: "btn_outOfService"
                    text: root.st.outOfService ? vm.t.maint_put_back : vm.t.maint_take_out
                    kind: "accent"
                    onClicked: maint.setOutOfService(!root.st.outOfService)
                }
                KButton { objectName: "btn_restart"; text: vm.t.maint_restart; kind: "secondary"; onClicked: maint.restartApp() }
                KButton { objectName: "btn_maintSignOut"; text: vm.t.maint_sign_out; kind: "secondary"; onClicked: maint.signOut() }
                KButton { objectName: "btn_maintBack"; text: vm.t.back; kind: "secondary"; onClicked: maint.show("home") }
            }
        }
    }
}
