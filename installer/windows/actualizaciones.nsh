; Oficialía's installer: this PC's side of the signed updates (installer/updates/README.md, "En
; cada equipo con Windows"). Included by oficialia.nsi, which defines DATA_SUBFOLDER, USERS_SID
; and EXIT_UPDATES. build_installer.py may pass, from the state's update channel:
;   /DUPDATE_ROOT_FILE=...    its trusted root.json, placed in the updates folder when none is there
;   /DUPDATE_URL=...          its address, for config.toml and the nightly task (needs the root)
;   /DUPDATE_CONFIG_FILE=...  a config.toml with only update_url, for a PC that has none
;
; Why the updates folder is closed to users: the data folder is writable by every local user (a
; shared counter PC), but the trusted root, the verified metadata and a staged installer are what
; the nightly task, running as SYSTEM, trusts and runs. A user who could replace root.json could
; have SYSTEM install whatever that user signs.

!define UPDATES_DIR "$APPDATA\${DATA_SUBFOLDER}\actualizaciones"
!define UPDATE_TASK "Oficialia - actualizaciones"
!define UPDATE_TASK_FILE "tarea-actualizaciones.xml"
!define SYSTEM_SID "*S-1-5-18"
!define ADMINS_SID "*S-1-5-32-544"
; Inheritance broken (nothing comes from the data folder's "every user may modify"): SYSTEM and
; Administrators full control, Users read only; inherited by everything made inside.
!define ADMIN_ONLY_ACL "/inheritance:r /grant:r ${SYSTEM_SID}:(OI)(CI)F ${ADMINS_SID}:(OI)(CI)F ${USERS_SID}:(OI)(CI)RX"

; Strips the spaces and tabs at the start of var (tmp is clobbered).
!macro TRIM_START var tmp
  ${Do}
    StrCpy ${tmp} ${var} 1
    ${If} ${tmp} == " "
    ${OrIf} ${tmp} == "$\t"
      StrCpy ${var} ${var} "" 1
    ${Else}
      ${ExitDo}
    ${EndIf}
  ${Loop}
!macroend

; Called once the data folder exists. Every failure leaves the program installed and sets
; EXIT_UPDATES; nothing that SYSTEM would trust or run is set up over a folder left open.
Function SetUpUpdates
  Push $0
  CreateDirectory "${UPDATES_DIR}"
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "${UPDATES_DIR}" ${ADMIN_ONLY_ACL}'
  Pop $0
  ${If} $0 != 0
  ${OrIfNot} ${FileExists} "${UPDATES_DIR}\*.*"
    DetailPrint "$(UPDATES_FOLDER_FAILED)"
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(UPDATES_FOLDER_FAILED)" /SD IDOK
    SetErrorLevel ${EXIT_UPDATES}
    Pop $0
    Return
  ${EndIf}
  DetailPrint "$(UPDATES_FOLDER_READY)"
!ifdef UPDATE_ROOT_FILE
  ; Only the first root: python-tuf follows the channel's key rotations from it and keeps the
  ; newer roots in metadatos\, so an older installer's copy never undoes one; an admin who
  ; placed another root by hand meant it.
  ${If} ${FileExists} "${UPDATES_DIR}\root.json"
    DetailPrint "$(UPDATE_ROOT_KEPT)"
  ${Else}
    SetOutPath "${UPDATES_DIR}"
    File "/oname=root.json" "${UPDATE_ROOT_FILE}"
    SetOutPath "$INSTDIR"
    DetailPrint "$(UPDATE_ROOT_PLACED)"
  ${EndIf}
!endif
!ifdef UPDATE_URL
  Call WriteUpdateUrl
  Call CreateUpdateTask
!endif
  Pop $0
FunctionEnd

!ifdef UPDATE_URL
!ifndef UPDATE_CONFIG_FILE
  !error "Falta /DUPDATE_CONFIG_FILE (use build_installer.py)"
!endif
!ifndef UPDATE_ROOT_FILE
  !error "Falta /DUPDATE_ROOT_FILE: un canal sin raíz de confianza no sirve (use build_installer.py)"
!endif

; update_url in the machine-wide config.toml. On Windows that file (platformdirs' site config
; folder, C:\ProgramData\oficialia) is the data folder's own config.toml. A PC without one gets
; the build's; a PC with one gets the line appended, unless the file already sets update_url: as
; with root.json, what an admin wrote wins. The file is never rewritten, so the admin's other
; settings and comments stay byte for byte.
Function WriteUpdateUrl
  Push $0
  Push $1
  Push $2
  StrCpy $1 "$APPDATA\${DATA_SUBFOLDER}\config.toml"
  ${IfNot} ${FileExists} $1
    SetOutPath "$APPDATA\${DATA_SUBFOLDER}"
    File "/oname=config.toml" "${UPDATE_CONFIG_FILE}"
    SetOutPath "$INSTDIR"
    DetailPrint "$(UPDATE_URL_WRITTEN)"
    Goto done
  ${EndIf}
  Push $1
  Call ConfigSetsUpdateUrl
  Pop $0
  ${If} $0 = 1
    DetailPrint "$(UPDATE_URL_KEPT)"
    Goto done
  ${EndIf}
  ClearErrors
  FileOpen $0 $1 a
  ${If} ${Errors}
    DetailPrint "$(UPDATE_URL_FAILED)"
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(UPDATE_URL_FAILED)" /SD IDOK
    SetErrorLevel ${EXIT_UPDATES}
    Goto done
  ${EndIf}
  FileSeek $0 0 END $2
  ${If} $2 > 0
    FileSeek $0 -1 END
    FileReadByte $0 $2
    ${If} $2 <> 10
      FileSeek $0 0 END
      FileWriteByte $0 10
    ${EndIf}
  ${EndIf}
  FileSeek $0 0 END
  ; ASCII only (build_installer.py checks the address), so FileWrite's ANSI is also UTF-8.
  FileWrite $0 `update_url = "${UPDATE_URL}"$\n`
  FileClose $0
  DetailPrint "$(UPDATE_URL_WRITTEN)"
  done:
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; Takes a config.toml's path, pushes 1 when one of its lines sets update_url, else 0.
Function ConfigSetsUpdateUrl
  Exch $0
  Push $1
  Push $2
  Push $3
  StrCpy $3 0
  ClearErrors
  FileOpen $1 $0 r
  ${IfNot} ${Errors}
    ${Do}
      FileRead $1 $2
      ${IfThen} ${Errors} ${|} ${ExitDo} ${|}
      !insertmacro TRIM_START $2 $0
      StrCpy $0 $2 10
      ${If} $0 S== "update_url"
        StrCpy $2 $2 "" 10
        !insertmacro TRIM_START $2 $0
        StrCpy $0 $2 1
        ${If} $0 == "="
          StrCpy $3 1
          ${ExitDo}
        ${EndIf}
      ${EndIf}
    ${Loop}
    FileClose $1
  ${EndIf}
  StrCpy $0 $3
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

; The nightly task: `oficialia.exe actualizar` as SYSTEM, which may install (the installer needs
; an administrator). Written as a task definition rather than with /SC DAILY, which cannot say
; "run as soon as possible after a missed start" (a counter PC is often off at 3 a.m.) nor keep
; the command's arguments apart. The command pins update_root to the updates folder through the
; environment, the one layer above config.toml: that file is writable by every user, and a root
; a user chose would make SYSTEM install what that user signed. The program folder is closed to
; users like the updates folder: SYSTEM runs oficialia.exe from it (in Program Files it already
; is; a folder given with /D may not be).
Function CreateUpdateTask
  Push $0
  Push $1
  Push $2
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$INSTDIR" ${ADMIN_ONLY_ACL}'
  Pop $0
  ${If} $0 != 0
    DetailPrint "$(PROGRAM_FOLDER_OPEN)"
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(PROGRAM_FOLDER_OPEN)" /SD IDOK
    SetErrorLevel ${EXIT_UPDATES}
    Goto done
  ${EndIf}
  ; XML text: "&" is the one character of a Windows path that needs escaping.
  ${WordReplace} "$INSTDIR" "&" "&amp;" "+" $1
  ${WordReplace} "${UPDATES_DIR}" "&" "&amp;" "+" $2
  ClearErrors
  FileOpen $0 "$INSTDIR\${UPDATE_TASK_FILE}" w
  ${If} ${Errors}
    StrCpy $0 "no se pudo escribir $INSTDIR\${UPDATE_TASK_FILE}"
    Goto failed
  ${EndIf}
  FileWriteUTF16LE /BOM $0 '<?xml version="1.0" encoding="UTF-16"?>$\r$\n'
  FileWriteUTF16LE $0 '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">$\r$\n'
  FileWriteUTF16LE $0 '  <RegistrationInfo>$\r$\n'
  FileWriteUTF16LE $0 '    <Author>${PRODUCT}</Author>$\r$\n'
  FileWriteUTF16LE $0 '    <Description>$(UPDATE_TASK_DESCRIPTION)</Description>$\r$\n'
  FileWriteUTF16LE $0 '  </RegistrationInfo>$\r$\n'
  FileWriteUTF16LE $0 '  <Triggers>$\r$\n'
  FileWriteUTF16LE $0 '    <CalendarTrigger>$\r$\n'
  FileWriteUTF16LE $0 '      <StartBoundary>2024-01-01T03:00:00</StartBoundary>$\r$\n'
  ; Spreads a state's PCs over an hour, so they do not all download at once.
  FileWriteUTF16LE $0 '      <RandomDelay>PT1H</RandomDelay>$\r$\n'
  FileWriteUTF16LE $0 '      <ScheduleByDay>$\r$\n'
  FileWriteUTF16LE $0 '        <DaysInterval>1</DaysInterval>$\r$\n'
  FileWriteUTF16LE $0 '      </ScheduleByDay>$\r$\n'
  FileWriteUTF16LE $0 '    </CalendarTrigger>$\r$\n'
  FileWriteUTF16LE $0 '  </Triggers>$\r$\n'
  FileWriteUTF16LE $0 '  <Principals>$\r$\n'
  FileWriteUTF16LE $0 '    <Principal id="Author">$\r$\n'
  FileWriteUTF16LE $0 '      <UserId>S-1-5-18</UserId>$\r$\n'
  FileWriteUTF16LE $0 '      <RunLevel>HighestAvailable</RunLevel>$\r$\n'
  FileWriteUTF16LE $0 '    </Principal>$\r$\n'
  FileWriteUTF16LE $0 '  </Principals>$\r$\n'
  FileWriteUTF16LE $0 '  <Settings>$\r$\n'
  FileWriteUTF16LE $0 '    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>$\r$\n'
  FileWriteUTF16LE $0 '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>$\r$\n'
  FileWriteUTF16LE $0 '    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>$\r$\n'
  FileWriteUTF16LE $0 '    <StartWhenAvailable>true</StartWhenAvailable>$\r$\n'
  FileWriteUTF16LE $0 '    <ExecutionTimeLimit>PT2H</ExecutionTimeLimit>$\r$\n'
  FileWriteUTF16LE $0 '  </Settings>$\r$\n'
  FileWriteUTF16LE $0 '  <Actions Context="Author">$\r$\n'
  FileWriteUTF16LE $0 '    <Exec>$\r$\n'
  FileWriteUTF16LE $0 '      <Command>$SYSDIR\cmd.exe</Command>$\r$\n'
  FileWriteUTF16LE $0 '      <Arguments>/d /c "set "OFICIALIA_UPDATE_ROOT=$2\root.json" &amp;&amp; "$1\oficialia.exe" actualizar"</Arguments>$\r$\n'
  FileWriteUTF16LE $0 '      <WorkingDirectory>$1</WorkingDirectory>$\r$\n'
  FileWriteUTF16LE $0 '    </Exec>$\r$\n'
  FileWriteUTF16LE $0 '  </Actions>$\r$\n'
  FileWriteUTF16LE $0 '</Task>$\r$\n'
  FileClose $0
  nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /Create /TN "${UPDATE_TASK}" /XML "$INSTDIR\${UPDATE_TASK_FILE}" /RU SYSTEM /F'
  Pop $0
  ${If} $0 = 0
    DetailPrint "$(UPDATE_TASK_CREATED)"
    Goto done
  ${EndIf}
  StrCpy $0 "schtasks: $0"
  failed:
  DetailPrint "$(UPDATE_TASK_FAILED)"
  MessageBox MB_OK|MB_ICONEXCLAMATION "$(UPDATE_TASK_FAILED)" /SD IDOK
  SetErrorLevel ${EXIT_UPDATES}
  done:
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; The task this build made; a build without a channel leaves alone one an admin made by hand.
!macro REMOVE_UPDATE_TASK
  nsExec::ExecToLog '"$SYSDIR\schtasks.exe" /Delete /TN "${UPDATE_TASK}" /F'
  Pop $0
!macroend
!else
!macro REMOVE_UPDATE_TASK
!macroend
!endif
