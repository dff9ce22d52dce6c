import QtQuick
import QtQuick.Layouts

// Read-only preview of the selected certificate, then its purpose.
Item {
    id: root
    property bool choosePurpose: vm.view.screen === "purpose"
    RowLayout {
        anchors.fill: parent
        anchors.margins: theme.gap * 2
        spacing: theme.gap * 2

        Rectangle {
            objectName: "personalDocument"  // masked in a video-help call until the citizen allows it
            Layout.fillHeight: true
            Layout.preferredWidth: parent.width * 0.55
            color: theme.surface
            border.color: theme.border
            border.width: 2
            radius: theme.radius / 2
            // The certificate file itself, rendered from the PDF (read-only).
            Flickable {
                id: pdfView
                objectName: "pdfPreview"
                visible: pdfPreview.status === "ready"
                anchors.fill: parent
                anchors.margins: theme.gap
                anchors.bottomMargin: pager.visible ? pager.height + theme.gap * 2 : theme.gap
                clip: true
                contentWidth: pageImage.width
                contentHeight: pageImage.height
                boundsBehavior: Flickable.StopAtBounds
                Image {
                    id: pageImage
                    width: pdfView.width * pdfPreview.zoom
                    height: implicitWidth > 0 ? width * implicitHeight / implicitWidth : width * 1.414
                    fillMode: Image.PreserveAspectFit
                    cache: false
                    source: pdfPreview.status === "ready"
                            ? "image://preview/" + pdfPreview.page + "/" + Math.round(width) + "/" + pdfPreview.revision : ""
                }
            }
            RowLayout {
                id: pager
                visible: !root.choosePurpose && pdfPreview.status === "ready" && (pdfPreview.pageCount > 1 || vm.view.assisted)
                anchors.bottom: parent.bottom
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.bottomMargin: theme.gap
                spacing: theme.gap
                KButton {
                    objectName: "btn_prevPage"
                    visible: pdfPreview.pageCount > 1
                    text: vm.t.prev_page
                    kind: "secondary"
                    onClicked: pdfPreview.turnPage(-1)
                }
                KText {
                    visible: pdfPreview.pageCount > 1
                    text: (vm.t.page_of || "").replace("%1", pdfPreview.page + 1).replace("%2", pdfPreview.pageCount)
                }
                KButton {
                    objectName: "btn_nextPage"
                    visible: pdfPreview.pageCount > 1
                    text: vm.t.next_page
                    kind: "secondary"
                    onClicked: pdfPreview.turnPage(1)
                }
                KButton {
                    objectName: "btn_zoomOut"
                    visible: vm.view.assisted
                    text: vm.t.zoom_out
                    kind: "secondary"
                    onClicked: pdfPreview.zoomBy(-1)
                }
                KButton {
                    objectName: "btn_zoomIn"
                    visible: vm.view.assisted
                    text: vm.t.zoom_in
                    kind: "secondary"
                    onClicked: pdfPreview.zoomBy(1)
                }
            }
            // Fallback: the certificate's details, while loading or when the file is unavailable.
            Flickable {
                visible: pdfPreview.status !== "ready"
                anchors.fill: parent
                anchors.margins: theme.gap * 1.5
                contentHeight: doc.implicitHeight
                clip: true
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
                    }
                    KText {
                        Layout.fillWidth: true
                        text: vm.view.certificate ? vm.view.certificate.name : ""
                        font.pixelSize: theme.fontTitle
                        font.bold: true
                        horizontalAlignment: Text.AlignHCenter
                    }
                    Repeater {
                        model: vm.view.certificate ? vm.view.certificate.rows : []
                        RowLayout {
                            Layout.fillWidth: true
                            spacing: theme.gap
                            KText {
                                Layout.preferredWidth: doc.width * 0.32
                                text: vm.t[modelData[0]] || modelData[0]
                                color: theme.muted
                            }
                            KText {
                                Layout.fillWidth: true
                                text: vm.t[modelData[1]] || modelData[1]
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
            spacing: theme.gap * 1.5
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
