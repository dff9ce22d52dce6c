import QtQuick
import QtQuick.Window

// The kiosk window. A 1920x1080 stage scaled to the screen; the journey picks the screen.
Window {
    id: win
    objectName: "kioskWindow"
    width: 1920
    height: 1080
    visible: true
    color: theme.background
    title: vm.t.app_title

    readonly property string screen: vm.view.screen

    function spec(name) {
        var t = vm.t, v = vm.view
        function b(text, action, kind) { return { text: text, action: action, kind: kind || "primary" } }
        switch (name) {
        case "insert_card": return { title: t.insert_card_title, body: t.insert_card_body, buttons: [b(t.back, "back", "secondary")] }
        case "card_problem": return { title: t.card_problem_title, body: t[v.message] || t.card_unreadable, buttons: [b(t.end, "finish", "secondary")] }
        case "assist_offer": return { title: t.assist_offer_title, big: true, bigButtons: true, body: t.assist_offer_body, buttons: [b(t.assist_yes, "assistYes"), b(t.assist_no, "assistNo", "secondary")] }
        case "face_failed": return { title: t.face_failed_title, body: t[v.message] || "", detail: v.canRetry ? t.attempts_left.arg(v.attemptsLeft) : "",
                                     buttons: (v.canRetry ? [b(t.face_retry, "faceAgree")] : []).concat([b(t.use_staff, "faceDecline", "secondary"), b(t.end, "finish", "secondary")]) }
        case "loading": return { title: t.loading_title, body: t.loading_body, busy: true, buttons: [] }
        case "printing": return { title: t.printing_title, body: t.printing_body, detail: (v.message && t[v.message]) || "", busy: true, buttons: [] }
        case "print_failed": return { title: t.print_failed_title, body: t[v.message] || t.printer_error, detail: v.nothingPrinted ? t.print_nothing_printed : t.print_failed_help,
                                      // What else works (kiosk/journey_fallback.py): later, in the app, at a counter.
                                      buttons: (v.canRetry ? [b(t.try_again, "retryPrint")] : []).concat(v.canQueue ? [b(t.queue_later, "queueOffline", "secondary")] : [])
                                               .concat(v.canSendToApp ? [b(t.send_to_app, "sendToApp", "secondary")] : []).concat([b(t.go_to_counter, "goToCounter", "secondary"), b(t.end, "finish", "secondary")]) }
        case "print_done": return { title: t.print_done_title, body: t.print_done_body, buttons: [b(t.print_another, "printAnother", "secondary"), b(t.finish, "finish")] }
        case "notice": return { title: t.notice_title, body: t[v.message] || "", detail: v.canQueueOffline ? t.queue_offline_hint : "",
                                buttons: (v.canQueueOffline ? [b(t.queue_offline, "queueOffline")] : []).concat(v.canQueueOffline ? [b(t.go_to_counter, "goToCounter", "secondary")] : [])
                                         .concat([b(t.back_to_menu, "back", v.canQueueOffline ? "secondary" : "primary"), b(t.end, "finish", "secondary")]) }
        case "queueing": return { title: t.queueing_title, body: t.queueing_body, busy: true, buttons: [] }
        case "queued": return { title: t.queued_title, body: t.queued_body.arg(v.trackingCode || ""),
                                detail: (v.certificateType ? t.queued_what.arg(t[v.certificateType] || v.certificateType).arg(t[v.purpose] || v.purpose || "") + "\n" : "")
                                        + t.queued_detail + "\n" + (t["receipt_" + v.receipt] || ""),
                                buttons: [b(t.back_to_menu, "back", "secondary"), b(t.finish, "finish")] }
        case "queue_choice": return { title: t["queue_choice_" + v.queueStep + "_title"] || "", body: t.queue_choice_body,
                                      buttons: (v.choices || []).map(k => b(t[k], "queueChoice:" + k)).concat([b(t.back, "back", "secondary")]) }
        case "counter_ticket": return { title: v.counterNumber ? t.counter_ticket_number.arg(v.counterNumber) : t.counter_ticket_title, big: v.counterNumber !== "",
                                        busy: !v.counterNumber, body: v.counterNumber ? t.counter_ticket_title : "",
                                        detail: v.counterNumber ? (v.receipt === "printed" ? t.counter_ticket_printed : t.counter_ticket_screen) : "",
                                        buttons: v.counterNumber ? [b(t.end, "finish")] : [] }
        case "sending_to_app": return { title: t.sending_to_app_title, busy: true, buttons: [] }
        case "sent_to_app": return { title: t.sent_to_app_title, body: t.sent_to_app_body,
                                     buttons: [b(t.back, "back", "secondary"), b(t.finish, "finish")] }
        case "done": return { title: t.done_title, body: t.done_body, buttons: [] }
        case "start_again": return { title: t.start_again_title, body: t[v.message] || t.platform_grant_expired, buttons: [b(t.end, "finish")] }
        case "who_for": return { title: t.who_for_title, body: t.who_for_body,
                                 buttons: [b(t.who_for_self, "whoFor:")].concat((v.delegations || []).map(d => b(t.who_for_other.arg(d.name), "whoFor:" + d.id, "secondary")))
                                          .concat([b(t.back, "back", "secondary")]) }
        case "business_choice": return { title: t.business_choice_title, body: t.business_choice_body,
                                         buttons: (v.businesses || []).map(x => b(x.name, "business:" + x.uscc)).concat([b(t.business_other, "business:", "secondary"), b(t.back, "back", "secondary")]) }
        case "take_card": return { title: t.take_card_title, big: true, body: t["take_card_" + v.endReason] || t.take_card_cancelled,
                                   detail: v.staffCalled ? t.staff_called : t.take_card_hint, buttons: [] }
        case "card_pulled": return { title: t.card_pulled_title, busy: !v.printOutcome,
                                     body: !v.printOutcome ? t.card_pulled_printing : (v.printOutcome === "printed" ? t.card_pulled_printed
                                           : t.card_pulled_failed.arg(t[v.printOutcome] || t.printer_error)),
                                     buttons: v.printOutcome ? [b(t.got_it, "finish")] : [] }
        case "out_of_service": return { title: t.out_of_service_title, body: t[v.outOfService] || t.out_of_service_technician,
                                        detail: t.out_of_service_detail, buttons: [] }
        }
        return { title: "", buttons: [] }
    }

    function act(name) {
        switch (name) {
        case "back": vm.back(); break
        case "finish": vm.finish(); break
        case "assistYes": vm.acceptAssist(true); break
        case "assistNo": vm.acceptAssist(false); break
        case "faceAgree": vm.faceConsent(true); break
        case "faceDecline": vm.faceConsent(false); break
        case "retryPrint": vm.retryPrint(); break
        case "printAnother": vm.printAnother(); break
        case "queueOffline": vm.queueOffline(); break
        case "sendToApp": vm.sendToApp(); break
        case "goToCounter": vm.goToCounter(); break
        default:
            if (name.indexOf("whoFor:") === 0) vm.chooseForWhom(name.slice(7))
            else if (name.indexOf("business:") === 0) vm.chooseBusiness(name.slice(9))
            else if (name.indexOf("queueChoice:") === 0) vm.chooseQueueItem(name.slice(12))
        }
    }

    Item {
        id: stage
        objectName: "stage"
        width: 1920
        height: 1080
        scale: Math.min(win.width / width, win.height / height)
        transformOrigin: Item.TopLeft
        x: (win.width - width * scale) / 2
        y: (win.height - height * scale) / 2

        Rectangle { anchors.fill: parent; color: theme.background }

        Header {
            id: header
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.top: parent.top
        }

        Loader {
            id: page
            objectName: "page"
            visible: videoHelp.view.modal !== true  // under a video-help dialog the screen is out of reach
            anchors.top: header.bottom
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.bottom: parent.bottom
            sourceComponent: {
                switch (win.screen) {
                case "attract": return attract
                case "face_consent": return faceConsent
                case "face_check": return faceCheck
                case "service_menu": return menu
                case "uscc_entry": return keypad
                case "staff_check": return staffCheck
                case "maintenance": return maintenance
                case "cert_list": return certs
                case "preview": case "purpose": return preview
                case "rating": return rating
                }
                return message
            }
        }

        // The overlays are built when they show, not before the first frame (docs/benchmarks.md).
        Loader {
            anchors.fill: parent
            active: vm.view.warning >= 0
            sourceComponent: TimeoutOverlay {}
        }

        // The hidden way into maintenance: five taps on the top-left corner within four seconds,
        // only between citizens. It leads to a staff sign-in; a citizen gets no further.
        Item {
            id: corner
            objectName: "maintenanceCorner"
            width: 160
            height: header.height
            enabled: win.screen === "attract" || win.screen === "out_of_service"
            property var taps: []
            TapHandler {
                onTapped: {
                    var now = Date.now()
                    corner.taps = corner.taps.filter(t => now - t < 4000).concat([now])
                    if (corner.taps.length >= 5) { corner.taps = []; maint.enter() }
                }
            }
        }
        Loader {
            anchors.fill: parent
            active: (videoHelp.view.state || "idle") !== "idle"
            sourceComponent: VideoHelpOverlay {}
        }

        // A staff card during a citizen's session: a 帮办 may end a stuck session after their PIN
        // (screens/staff_desk.py). It covers the whole stage; pulling the card takes it away.
        Loader {
            anchors.fill: parent
            active: desk.state.unlock === true
            sourceComponent: Rectangle {
                objectName: "unlockOverlay"
                color: theme.background
                MouseArea { anchors.fill: parent }  // nothing underneath is reachable
                StaffSignIn {
                    anchors.fill: parent
                    objectName: "unlockSignIn"
                    title: vm.t.unlock_title
                    body: vm.t.unlock_body
                    cardBody: vm.t.unlock_body
                    cardNumber: desk.state.unlockNumber || ""
                    error: desk.state.unlockError || ""
                    waitSeconds: desk.state.unlockWait || 0
                    triesLeft: desk.state.unlockTriesLeft || 0
                    onSubmit: (number, pin) => desk.unlock(number, pin)
                    onCancel: desk.cancelUnlock()
                }
            }
        }
    }

    // Where the video-help agent points: fractions of the shared picture (the whole window).
    Rectangle {
        objectName: "videoHighlight"
        readonly property var spot: videoHelp.view.highlight || null
        visible: spot !== null && videoHelp.view.state === "connected"
        width: theme.touch * 2 * stage.scale
        height: width
        radius: width / 2
        color: "transparent"
        border.color: theme.accent
        border.width: Math.max(4, 10 * stage.scale)
        x: spot ? spot.x * win.width - width / 2 : 0
        y: spot ? spot.y * win.height - height / 2 : 0
    }

    Component { id: attract; AttractScreen {} }
    Component { id: faceConsent; FaceConsentScreen {} }
    Component { id: faceCheck; FaceCheckScreen {} }
    Component { id: menu; MenuScreen {} }
    Component { id: keypad; KeypadScreen {} }
    Component { id: maintenance; MaintenanceScreen {} }
    Component {
        id: staffCheck
        StaffSignIn {
            objectName: "staffCheck"
            title: vm.t.staff_check_title
            body: vm.t.staff_check_body
            error: desk.state.checkError || vm.view.inputError || ""
            waitSeconds: vm.view.staffWait || 0
            triesLeft: vm.view.staffTriesLeft || 0
            cardNumber: desk.state.checkNumber || ""
            onSubmit: (number, pin) => { desk.checkTyped(); vm.staffConfirm(number, pin) }
            onCancel: vm.back()
        }
    }
    Component { id: certs; CertListScreen {} }
    Component { id: preview; PreviewScreen {} }
    Component { id: rating; RatingScreen {} }
    Component { id: message; MessageScreen { spec: win.spec(win.screen); onAction: (name) => win.act(name) } }
}
