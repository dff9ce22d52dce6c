import QtQuick
import QtQuick.Layouts

// Read-only preview of the selected certificate, then its purpose.
// Standard mode: the page as rendered from the PDF. Assisted mode (长辈模式): the page, small, beside
// its fields as large text (the theme's body size, >= 30 px): readable without zooming into a corner.
// The fields are also the page's text alternative for screen readers, and the fallback when the
// file cannot be shown.
Item {
    id: root
    property bool choosePurpose: vm.view.screen === "purpose"
    readonly property bool pageReady: pdfPreview.status === "ready"
    readonly property bool showFields: vm.view.assisted === true || !pageReady
    readonly property string fieldsText: {
        var c = vm.view.certificate
        if (!c) return ""
        return [c.name].concat(c.rows.map(r => (vm.t[r[0]] || r[0]) + "：" + (vm.t[r[1]] || r[1]))).join("；")
    }
    RowLayout {
        anchors.fill: parent
        anchors.margins: theme.gap * 2
        spacing: theme.gap * 2

        Rectangle {
            objectName: "personalDocument"  // masked in a video-help call until the citizen allows it
            visible: root.pageReady
            Layout.fillHeight: true
            Layout.preferredWidth: parent.width * (vm.view.assisted ? 0.14 : 0.55)
            color: theme.surface
            border.color: theme.border
            border.width: 2
            radius: theme.radius / 2
            Accessible.role: Accessible.Graphic
            Accessible.name: vm.t.preview_title + "：" + (vm.view.certificate ? vm.view.certificate.name : "")
            Accessible.description: root.fieldsText  // the page's text alternative
            Accessible.ignored: !visible
            // The certificate file itself, rendered from the PDF (read-only).
            Flickable {
                id: pdfView
                objectName: "pdfPreview"
                anchors.fill: parent
                anchors.margins: theme.gap
                anchors.bottomMargin: pager.visible ? pager.height + theme.gap * 2 : theme.gap
                clip: true
                contentWidth: pageImage.width
                contentHeight: pageImage.height
                boundsBehavior: Flickable.StopAtBounds
                Image {
                    id: pageImage
                    width: pdfView.width
                    height: implicitWidth > 0 ? width * implicitHeight / implicitWidth : width * 1.414
                    fillMode: Image.PreserveAspectFit
                    cache: false
                    Accessible.ignored: true
                    source: root.pageReady
                            ? "image://preview/" + pdfPreview.page + "/" + Math.round(width) + "/" + pdfPreview.revision : ""
                }
            }
            ColumnLayout {
                id: pager
                visible: !root.choosePurpose && root.pageReady && pdfPreview.pageCount > 1
                anchors.bottom: parent.bottom
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.bottomMargin: theme.gap
                spacing: theme.gap / 2
                KText {
                    Layout.alignment: Qt.AlignHCenter
                    text: (vm.t.page_of || "").replace("%1", pdfPreview.page + 1).replace("%2", pdfPreview.pageCount)
                }
                RowLayout {
                    spacing: theme.gap / 2
                    KButton {
                        objectName: "btn_prevPage"
                        text: vm.t.prev_page
                        kind: "secondary"
                        fontSize: theme.fontBody
                        onClicked: pdfPreview.turnPage(-1)
                    }
                    KButton {
                        objectName: "btn_nextPage"
                        text: vm.t.next_page
                        kind: "secondary"
                        fontSize: theme.fontBody
                        onClicked: pdfPreview.turnPage(1)
                    }
                }
            }
        }
        // The certificate's fields as text: large in assisted mode; the fallback in standard mode.
        Rectangle {
            objectName: "certificateFields"
            visible: root.showFields
            Layout.fillHeight: true
            Layout.preferredWidth: parent.width * (vm.view.assisted ? 0.43 : 0.55)
            color: theme.surface
            border.color: theme.border
            border.width: 2
            radius: theme.radius / 2
            Flickable {
                anchors.fill: parent
                anchors.margins: theme.gap * 1.5
                contentHeight: doc.implicitHeight
                clip: true
                boundsBehavior: Flickable.StopAtBounds
                ColumnLayout {
                    id: doc
                    width: parent.width
                    spacing: theme.gap / 2
                    KText {
                        objectName: "previewNotice"
                        Layout.fillWidth: true
                        visible: pdfPreview.status === "loading" || pdfPreview.status === "unavailable"
                        text: pdfPreview.status === "loading" ? vm.t.preview_loading : vm.t.preview_unavailable
                        color: theme.muted
                        wrapMode: Text.WordWrap
                        Accessible.role: Accessible.StatusBar
                        Accessible.name: text
                    }
                    KText {
                        objectName: "certificateName"
                        Layout.fillWidth: true
                        text: vm.view.certificate ? vm.view.certificate.name : ""
                        font.pixelSize: vm.view.assisted ? theme.fontLarge : theme.fontTitle
                        font.bold: true
                        horizontalAlignment: Text.AlignHCenter
                    }
                    Repeater {
                        model: vm.view.certificate ? vm.view.certificate.rows : []
                        // Label beside value, so the whole certificate fits without scrolling.
                        GridLayout {
                            Layout.fillWidth: true
                            columns: 2
                            columnSpacing: theme.gap
                            rowSpacing: 0
                            KText {
                                objectName: "fieldLabel"
                                Layout.preferredWidth: doc.width * 0.32
                                Layout.alignment: Qt.AlignTop
                                text: vm.t[modelData[0]] || modelData[0]
                                color: theme.muted
                            }
                            KText {
                                objectName: "fieldValue"
                                Layout.fillWidth: true
                                text: vm.t[modelData[1]] || modelData[1]
                                font.bold: vm.view.assisted === true
                                wrapMode: Text.WrapAnywhere
                            }
                        }
                    }
                }
            }
        }
        ColumnLayout {
            Layout.fillWidth: true
            Layout.alignment: Qt.AlignVCenter
            spacing: theme.gap  // title, note and up to five choices fit the assisted column (was 1.5: 返回 fell off the matter list)
            KText {
                Layout.fillWidth: true
                text: root.choosePurpose ? (vm.view.askingMatter ? vm.t.matter_title : vm.t.purpose_title) : vm.t.preview_title
                font.pixelSize: theme.fontTitle
                font.bold: true
            }
            KText {
                Layout.fillWidth: true
                visible: root.choosePurpose
                text: vm.view.askingMatter ? vm.t.matter_body : vm.t.purpose_body
                color: theme.muted
            }
            Repeater {
                model: root.choosePurpose ? (vm.view.purposes || []) : []
                KButton {
                    objectName: "btn_" + modelData
                    Layout.fillWidth: true
                    text: vm.t[modelData]
                    onClicked: vm.choosePurpose(modelData)
                }
            }
            KButton {
                objectName: "btn_print"
                visible: !root.choosePurpose
                Layout.fillWidth: true
                text: vm.t.print
                onClicked: vm.confirmPreview()
            }
            KButton {
                objectName: "btn_back"
                Layout.fillWidth: true
                text: vm.t.back
                kind: "secondary"
                onClicked: vm.back()
            }
        }
    }
}
