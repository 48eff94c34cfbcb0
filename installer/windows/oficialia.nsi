; Oficialía's Windows installer (NSIS 3, Modern UI 2, Spanish).
;
; Built by build_installer.py (see README.md), which passes:
;   /DVERSION=0.1.0            the version shown in Add/Remove programs and stamped in the file
;   /DVERSION_QUAD=0.1.0.0     the same as four numbers, for the file's version information
;   /DBUNDLE_DIR=...           PyInstaller's one-folder bundle (dist\oficialia)
;   /DBUNDLE_LIST=...          bundle-files.nsh, written from that folder's top-level entries
;   /DOUTFILE=...              where the installer goes
; and optionally /DGUI_EXE=oficialiaw.exe when the bundle has a windowed executable for the
; shortcuts (no console window behind the apps), and the state's update channel
; (/DUPDATE_ROOT_FILE, /DUPDATE_URL, /DUPDATE_CONFIG_FILE: see actualizaciones.nsh).
;
; What it does: a per-machine install in Program Files; the data folder in ProgramData, made
; writable by every local user (a counter PC is shared by several clerks, and the kiosk runs
; under its own account), except its updates folder, which only administrators and SYSTEM may
; change; with an update channel, its trusted root, its address and a nightly task that installs
; what it publishes (actualizaciones.nsh); Start menu shortcuts for all users, the kiosk's under
; its watchdog (`kiosk supervisar`); an Add/Remove programs entry. It refuses while Oficialía
; runs (the app holds the named mutex MUTEX_NAME, see mailroom/windows_running.py). Installing
; over an older version first runs the old uninstaller, so no file of the old version stays
; behind. Uninstalling never touches the data folder.
;
; Exit codes (silent mode /S included; README.md documents them for administrators):
;   0 installed (or uninstalled)          1 cancelled by the person installing
;   2 stopped by the installer itself     3 Oficialía is running: nothing was changed
;   4 not an administrator                5 the old version could not be removed: nothing new
;   6 installed, but the data folder could not be made or made writable for all users
;   7 installed, but signed updates are not set up (updates folder, config.toml or task)

Unicode true
Target amd64-unicode
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel admin

!ifndef VERSION
  !error "Falta /DVERSION=x.y.z (use build_installer.py)"
!endif
!ifndef BUNDLE_DIR
  !error "Falta /DBUNDLE_DIR=carpeta del paquete de PyInstaller (use build_installer.py)"
!endif
!ifndef BUNDLE_LIST
  !error "Falta /DBUNDLE_LIST=bundle-files.nsh (use build_installer.py)"
!endif
!ifndef OUTFILE
  !define OUTFILE "Oficialia-${VERSION}-instalador.exe"
!endif
!ifndef GUI_EXE
  !define GUI_EXE "oficialia.exe"
!endif
!if /FileExists "${BUNDLE_DIR}\oficialia.exe"
!else
  !error "No está ${BUNDLE_DIR}\oficialia.exe: construya antes el paquete con PyInstaller"
!endif

!define PRODUCT "Oficialía"
!define PUBLISHER "Oficialía de Partes"
!define MUTEX_NAME "OficialiaEnEjecucion"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Oficialia"
!define UNINSTALLER "uninstall.exe"
; Under $APPDATA once SetShellVarContext is "all": C:\ProgramData\Oficialia.
!define DATA_SUBFOLDER "Oficialia"
; BUILTIN\Users by its SID: the group's name is translated («Usuarios» on a Spanish Windows).
!define USERS_SID "*S-1-5-32-545"
!define SHORTCUT_MAILROOM "$SMPROGRAMS\Oficialía — Ventanilla.lnk"
!define SHORTCUT_KIOSK "$SMPROGRAMS\Oficialía — Quiosco.lnk"
; The kiosk under its watchdog, which restarts it when it ends or its screen freezes
; (installer/KIOSCO.md); the windowed executable has no console, so the log goes to a file.
!define KIOSK_ARGUMENTS 'kiosk supervisar --log-file "$APPDATA\${DATA_SUBFOLDER}\supervisor.log"'

!define EXIT_RUNNING 3
!define EXIT_NOT_ADMIN 4
!define EXIT_OLD_VERSION 5
!define EXIT_DATA_FOLDER 6
!define EXIT_UPDATES 7

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\Oficialia"
BrandingText "${PRODUCT} ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

!ifdef VERSION_QUAD
  VIProductVersion "${VERSION_QUAD}"
  VIFileVersion "${VERSION_QUAD}"
  VIAddVersionKey /LANG=3082 "ProductName" "${PRODUCT}"
  VIAddVersionKey /LANG=3082 "ProductVersion" "${VERSION}"
  VIAddVersionKey /LANG=3082 "FileVersion" "${VERSION}"
  VIAddVersionKey /LANG=3082 "FileDescription" "Instalador de ${PRODUCT}"
  VIAddVersionKey /LANG=3082 "CompanyName" "${PUBLISHER}"
  VIAddVersionKey /LANG=3082 "LegalCopyright" "${PUBLISHER}"
!endif

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "WordFunc.nsh"

Var PreviousInstall
Var PreviousVersion

!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "$(WELCOME_TEXT)"
!insertmacro MUI_PAGE_WELCOME
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipDirectoryOnUpgrade
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_TEXT "$(FINISH_TEXT)"
!insertmacro MUI_PAGE_FINISH

!define MUI_UNCONFIRMPAGE_TEXT_TOP "$(UNINSTALL_CONFIRM_TOP)"
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "Spanish"
!include "mensajes.nsh"
!include "actualizaciones.nsh"
!include "${BUNDLE_LIST}"

; Pushes 1 when any process holds the mutex (in this session, or in any session through the
; Global\ name), else 0. "Access denied" also means it exists: another user's Global\ mutex may
; not let this account open it.
!macro DEFINE_RUNNING_CHECK prefix
  Function ${prefix}IsOficialiaRunning
    Push $0
    Push $1
    Push $2
    StrCpy $2 0
    System::Call 'kernel32::OpenMutexW(i 0x00100000, i 0, w "${MUTEX_NAME}") p.r0 ?e'
    Pop $1
    Call ${prefix}_SeenMutex
    System::Call 'kernel32::OpenMutexW(i 0x00100000, i 0, w "Global\${MUTEX_NAME}") p.r0 ?e'
    Pop $1
    Call ${prefix}_SeenMutex
    StrCpy $0 $2
    Pop $2
    Pop $1
    Exch $0
  FunctionEnd

  ; $0 = handle from OpenMutexW, $1 = its last error; sets $2 to 1 when the mutex exists.
  Function ${prefix}_SeenMutex
    ${If} $0 P<> 0
      System::Call 'kernel32::CloseHandle(p r0)'
      StrCpy $2 1
    ${ElseIf} $1 = 5
      StrCpy $2 1
    ${EndIf}
  FunctionEnd

  ; Stops with exit code EXIT_RUNNING unless Oficialía is closed (Retry) or was not running.
  Function ${prefix}RefuseWhileRunning
    Push $0
    ${Do}
      Call ${prefix}IsOficialiaRunning
      Pop $0
      ${If} $0 = 0
        ${Break}
      ${EndIf}
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(RUNNING)" /SD IDCANCEL IDRETRY retry
      SetErrorLevel ${EXIT_RUNNING}
      Quit
      retry:
    ${Loop}
    Pop $0
  FunctionEnd

  Function ${prefix}RefuseUnlessAdmin
    Push $0
    UserInfo::GetAccountType
    Pop $0
    ${If} $0 != "admin"
      MessageBox MB_OK|MB_ICONSTOP "$(NOT_ADMIN)" /SD IDOK
      SetErrorLevel ${EXIT_NOT_ADMIN}
      Quit
    ${EndIf}
    Pop $0
  FunctionEnd
!macroend

!insertmacro DEFINE_RUNNING_CHECK ""
!insertmacro DEFINE_RUNNING_CHECK "un."

Function .onInit
  SetShellVarContext all
  SetRegView 64
  Call RefuseUnlessAdmin
  Call RefuseWhileRunning
  ; An upgrade goes where the installed version is, whatever /D or the default says: its files
  ; are the ones to replace.
  ReadRegStr $PreviousInstall HKLM "${UNINSTALL_KEY}" "InstallLocation"
  ReadRegStr $PreviousVersion HKLM "${UNINSTALL_KEY}" "DisplayVersion"
  ${If} $PreviousInstall == ""
  ${AndIf} ${FileExists} "$INSTDIR\${UNINSTALLER}"
    StrCpy $PreviousInstall $INSTDIR
  ${EndIf}
  ${If} $PreviousInstall != ""
    ${If} ${FileExists} "$PreviousInstall\${UNINSTALLER}"
      StrCpy $INSTDIR $PreviousInstall
    ${Else}
      StrCpy $PreviousInstall ""
    ${EndIf}
  ${EndIf}
FunctionEnd

Function SkipDirectoryOnUpgrade
  ${If} $PreviousInstall != ""
    Abort
  ${EndIf}
FunctionEnd

Section "-${PRODUCT}"
  SetShellVarContext all
  SetRegView 64
  ${If} $PreviousInstall != ""
    DetailPrint "$(REMOVING_OLD)"
    ; _?= runs the old uninstaller in place and waits for it; it cannot delete itself then.
    ClearErrors
    ExecWait '"$INSTDIR\${UNINSTALLER}" /S _?=$INSTDIR' $0
    ${If} ${Errors}
    ${OrIf} $0 <> 0
      MessageBox MB_OK|MB_ICONSTOP "$(OLD_NOT_REMOVED)" /SD IDOK
      SetErrorLevel ${EXIT_OLD_VERSION}
      Quit
    ${EndIf}
    Delete "$INSTDIR\${UNINSTALLER}"
  ${EndIf}

  !insertmacro INSTALL_BUNDLE
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  Call MakeDataFolder
  ${If} ${FileExists} "$APPDATA\${DATA_SUBFOLDER}\*.*"
    Call SetUpUpdates
  ${EndIf}

  ; The shortcuts start in the data folder: nothing the apps write lands beside the program.
  SetOutPath "$APPDATA\${DATA_SUBFOLDER}"
  CreateShortcut "${SHORTCUT_MAILROOM}" "$INSTDIR\${GUI_EXE}" "mailroom" \
    "$INSTDIR\oficialia.exe" 0 SW_SHOWNORMAL "" "$(SHORTCUT_MAILROOM)"
  CreateShortcut "${SHORTCUT_KIOSK}" "$INSTDIR\${GUI_EXE}" '${KIOSK_ARGUMENTS}' \
    "$INSTDIR\oficialia.exe" 0 SW_SHOWNORMAL "" "$(SHORTCUT_KIOSK)"
  SetOutPath "$INSTDIR"

  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\oficialia.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

; The data folder, writable (modify, inherited by what is made inside) by every local user.
; A folder left by an earlier version is kept as it is, with its contents.
Function MakeDataFolder
  CreateDirectory "$APPDATA\${DATA_SUBFOLDER}"
  ${IfNot} ${FileExists} "$APPDATA\${DATA_SUBFOLDER}\*.*"
    DetailPrint "$(DATA_FOLDER_FAILED)"
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(DATA_FOLDER_FAILED)" /SD IDOK
    SetErrorLevel ${EXIT_DATA_FOLDER}
    Return
  ${EndIf}
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$APPDATA\${DATA_SUBFOLDER}" /grant ${USERS_SID}:(OI)(CI)M'
  Pop $0
  ${If} $0 != 0
    DetailPrint "$(DATA_PERMISSIONS_FAILED)"
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(DATA_PERMISSIONS_FAILED)" /SD IDOK
    SetErrorLevel ${EXIT_DATA_FOLDER}
    Return
  ${EndIf}
  DetailPrint "$(DATA_FOLDER_READY)"
FunctionEnd

Function un.onInit
  SetShellVarContext all
  SetRegView 64
  Call un.RefuseUnlessAdmin
  Call un.RefuseWhileRunning
FunctionEnd

; Removes what the installer put in $INSTDIR, the shortcuts, the update task and the Add/Remove
; programs entry; never the data folder (nor its updates folder, with the trusted root and what
; was verified). An upgrade runs this too, before copying the new version.
Section "Uninstall"
  SetShellVarContext all
  SetRegView 64
  Delete "${SHORTCUT_MAILROOM}"
  Delete "${SHORTCUT_KIOSK}"
  !insertmacro REMOVE_UPDATE_TASK
  Delete "$INSTDIR\${UPDATE_TASK_FILE}"
  !insertmacro UNINSTALL_BUNDLE
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DetailPrint "$(DATA_KEPT)"
SectionEnd
