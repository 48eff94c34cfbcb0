// The kiosk's on-screen keyboard (see kiosk/keyboard.py): Qt Virtual Keyboard's InputPanel,
// centred at a width that keeps its keys large enough to touch, on a band of the keyboard's own
// colour across the window, and a row of keys above it where the box needs what the letters
// lack: digits for the CURP (a «&123» tap away otherwise, for 8 of its 18 characters), «@» and
// the endings of addresses for the e-mail.
import QtQuick
import QtQuick.VirtualKeyboard
import QtQuick.VirtualKeyboard.Settings

Rectangle {
    id: root

    // Set from Python: the panel's width (its height follows from it, the style keeps the ratio).
    property real panelWidth: 1280
    // Read from Python (and by the tests).
    readonly property alias panel: panel
    readonly property bool uppercase: InputContext.uppercase
    readonly property bool symbolMode: panel.keyboard.symbolMode
    readonly property string language: VirtualKeyboardSettings.locale
    readonly property int hints: InputContext.inputMethodHints
    readonly property string layoutName: panel.keyboard.layout
    // The suggestion list slides in above the keys (its y goes negative) when it shows.
    readonly property bool suggestionsShown: panel.keyboard.wordCandidateView.y < 0
    // A row above the panel for what its letters lack: digits for the CURP box (it asks for
    // uppercase Latin letters only), and what every address needs for the e-mail box.
    readonly property string extraRow: ((hints & Qt.ImhUppercaseOnly) && (hints & Qt.ImhLatinOnly))
                                       ? "digits"
                                       : (hints & Qt.ImhEmailCharactersOnly) ? "email" : ""
    readonly property var extraKeys: extraRow === "digits"
                                     ? ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]
                                     : extraRow === "email"
                                       ? ["@", ".", "_", "-", ".com", ".mx", ".com.mx", ".gob.mx"]
                                       : []
    // Bound to the parts, not read from a Column: a Column is laid out only when the view
    // renders, and a view 0 px tall never renders.
    readonly property real wantedHeight: Math.ceil(extra.height + panel.height)

    color: "#263238"  // the default style's keyboard background, so the band and panel are one

    Item {
        id: column
        width: Math.min(root.panelWidth, root.width)
        height: root.wantedHeight
        // From the top: the view is exactly this tall (Python sets it from wantedHeight), and
        // the root's own height can lag behind the view's.
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.top: parent.top

        Row {
            id: extra
            objectName: "extraRow"
            visible: root.extraKeys.length > 0
            anchors.top: parent.top
            width: parent.width
            // As tall as a row of the panel's letters (its keyboard is 4 rows).
            height: visible ? Math.round(panel.height / 4) : 0
            Repeater {
                model: root.extraKeys
                delegate: Item {
                    id: extraKey
                    required property string modelData
                    objectName: "extra_" + modelData
                    property string text: modelData
                    width: extra.width / root.extraKeys.length
                    height: extra.height
                    Rectangle {
                        anchors.fill: parent
                        anchors.margins: Math.round(8 * panel.width / 2560)
                        radius: 5
                        color: area.pressed ? "#4f5b62" : "#000a12"
                        Text {
                            anchors.fill: parent
                            horizontalAlignment: Text.AlignHCenter
                            verticalAlignment: Text.AlignVCenter
                            text: extraKey.modelData
                            color: "#ffffff"
                            font.family: "Arial"
                            font.pixelSize: Math.round(parent.height * 0.45)
                            fontSizeMode: Text.HorizontalFit
                            minimumPixelSize: 16
                        }
                    }
                    MouseArea {
                        id: area
                        anchors.fill: parent
                        // The same path as the panel's own keys: the input engine types it.
                        onClicked: InputContext.inputEngine.virtualKeyClick(
                                       extraKey.modelData.length === 1
                                       ? extraKey.modelData.toUpperCase().charCodeAt(0) : 0,
                                       extraKey.modelData, 0)
                    }
                }
            }
        }

        InputPanel {
            id: panel
            objectName: "inputPanel"
            anchors.bottom: parent.bottom
            width: parent.width
        }
    }

    function setLanguage(name) {
        // One active language: the panel's own language key stays hidden; the kiosk's language
        // button decides (the panel's key would change the keyboard without the screens).
        VirtualKeyboardSettings.activeLocales = [name]
        VirtualKeyboardSettings.locale = name
    }

    function forget(name) {
        panel.keyboard.symbolMode = false
        InputContext.priv.shiftHandler.capsLockActive = false
        InputContext.priv.shiftHandler.shiftActive = false
        setLanguage(name)
    }

    Component.onCompleted: {
        // Names are not dictionary words: no prediction, no suggestion list, no handwriting.
        VirtualKeyboardSettings.defaultDictionaryDisabled = true
        VirtualKeyboardSettings.handwritingModeDisabled = true
        VirtualKeyboardSettings.wordCandidateList.alwaysVisible = false
        VirtualKeyboardSettings.wordCandidateList.autoHideDelay = 0
        // The language is the kiosk's choice (its language button), not a key of the panel.
        VirtualKeyboardSettings.visibleFunctionKeys = QtVirtualKeyboard.KeyboardFunctionKeys.Hide
    }
}
