; A stand-in for the frozen oficialia.exe, for tests/test_windows_installer.py: a real 64-bit
; Windows program that CI can build without a Windows compiler or Python (makensis compiles it as a
; silent "installer" that installs nothing). It mimics what the installer cares about:
;
;   oficialia.exe [arguments...]
;       appends "<VERSION> <arguments>" as a line to C:\ProgramData\Oficialia\sustituto.txt, as
;       the real app writes into the per-machine data folder (a shortcut's run shows up there:
;       "mailroom", "kiosk supervisar --log-file ...", whatever it was given); when the
;       environment sets OFICIALIA_UPDATE_ROOT (as the nightly update task does), the line ends
;       with " | OFICIALIA_UPDATE_ROOT=<its value>";
;   oficialia.exe /retener=<stop file> /listo=<ready file> [...]
;       also holds the mutex the real app holds (mailroom/windows_running.py), writes the ready
;       file, and keeps running until the stop file exists (at most 120 s);
;   ... /solo-global
;       holds only the Global\ name: what an installer sees of an Oficialía running in another
;       session (another clerk's, the kiosk's account), which wine, with one session, cannot make.
;
; The options start with "/" because GetOptions splits at the option's first character, and the
; test's paths hold "-" (pytest-of-root) but never "/".
;
; Built with /DVERSION=... /DOUTFILE=... and /DMUTEX_NAME=... (the test passes the name from
; mailroom.windows_running, so a renamed mutex fails the test rather than passing it).

Unicode true
Target amd64-unicode
SilentInstall silent
RequestExecutionLevel user
SetCompressor zlib
Name "Oficialía (sustituto de pruebas)"
OutFile "${OUTFILE}"

!include "LogicLib.nsh"
!include "FileFunc.nsh"

Section
  SetShellVarContext all
  ${GetParameters} $0
  CreateDirectory "$APPDATA\Oficialia"
  FileOpen $1 "$APPDATA\Oficialia\sustituto.txt" a
  FileSeek $1 0 END
  ReadEnvStr $2 OFICIALIA_UPDATE_ROOT
  ${If} $2 == ""
    FileWrite $1 "${VERSION} $0$\r$\n"
  ${Else}
    FileWrite $1 "${VERSION} $0 | OFICIALIA_UPDATE_ROOT=$2$\r$\n"
  ${EndIf}
  FileClose $1

  ClearErrors
  ${GetOptions} $0 "/retener=" $2
  ${If} ${Errors}
    Return
  ${EndIf}
  ${GetOptions} $0 "/listo=" $3
  ClearErrors
  ${GetOptions} $0 "/solo-global" $7
  ${If} ${Errors}
    System::Call 'kernel32::CreateMutexW(p 0, i 0, w "${MUTEX_NAME}") p.r4'
    ${If} $4 P= 0
      Abort "CreateMutexW failed"
    ${EndIf}
  ${EndIf}
  System::Call 'kernel32::CreateMutexW(p 0, i 0, w "Global\${MUTEX_NAME}") p.r5'
  ${If} $5 P= 0
    Abort "CreateMutexW failed"
  ${EndIf}
  FileOpen $1 $3 w
  FileWrite $1 "${VERSION}$\r$\n"
  FileClose $1
  StrCpy $6 0
  ${Do}
    ${IfThen} ${FileExists} $2 ${|} ${ExitDo} ${|}
    Sleep 100
    IntOp $6 $6 + 1
  ${LoopWhile} $6 < 1200
SectionEnd
