; Oficialía's installer: the texts a person reads, in Spanish (Mexico). Included by oficialia.nsi
; after MUI_LANGUAGE "Spanish"; MUI's own Spanish strings cover the buttons and the standard pages.
; $\r$\n is a line break; $(^NameDA) is the product's name.

LangString WELCOME_TEXT ${LANG_SPANISH} "Este asistente instalará $(^NameDA) ${VERSION} en esta computadora, para todos sus usuarios.$\r$\n$\r$\nSi ya hay una versión anterior, se reemplazará; los expedientes, acuses y la configuración de la carpeta de datos se conservan.$\r$\n$\r$\nCierre Oficialía (Ventanilla y Quiosco) antes de continuar.$\r$\n$\r$\n$_CLICK"
LangString FINISH_TEXT ${LANG_SPANISH} "$(^NameDA) ${VERSION} quedó instalada.$\r$\n$\r$\nAbra «Oficialía — Ventanilla» o «Oficialía — Quiosco» desde el menú Inicio. Los datos se guardan en:$\r$\n$\r$\n$APPDATA\Oficialia"
LangString UNINSTALL_CONFIRM_TOP ${LANG_SPANISH} "Se quitará el programa $(^NameDA) de esta computadora. La carpeta de datos, con los expedientes, acuses y la configuración, NO se borra:$\r$\n$APPDATA\Oficialia"

LangString RUNNING ${LANG_SPANISH} "Oficialía está abierta en esta computadora (Ventanilla o Quiosco, tal vez en la sesión de otro usuario), y no se puede cambiar mientras se usa.$\r$\n$\r$\nCiérrela y pulse Reintentar, o pulse Cancelar para salir sin cambiar nada."
LangString NOT_ADMIN ${LANG_SPANISH} "Para instalar o quitar Oficialía se necesita una cuenta de administrador de esta computadora. Ejecute el instalador como administrador (clic derecho, «Ejecutar como administrador»)."
LangString REMOVING_OLD ${LANG_SPANISH} "Quitando la versión anterior ($PreviousVersion) de $INSTDIR; la carpeta de datos se conserva."
LangString OLD_NOT_REMOVED ${LANG_SPANISH} "No se pudo quitar la versión anterior de Oficialía de $INSTDIR (código $0). No se instaló nada nuevo. Reinicie la computadora y vuelva a ejecutar el instalador."
LangString DATA_FOLDER_FAILED ${LANG_SPANISH} "No se pudo crear la carpeta de datos $APPDATA\Oficialia. El programa quedó instalado, pero no podrá guardar nada hasta que esa carpeta exista y todos los usuarios puedan escribir en ella."
LangString DATA_PERMISSIONS_FAILED ${LANG_SPANISH} "No se pudieron dar permisos de escritura a todos los usuarios sobre $APPDATA\Oficialia (icacls: $0). El programa quedó instalado; como administrador ejecute:$\r$\n$\r$\nicacls $\"$APPDATA\Oficialia$\" /grant *S-1-5-32-545:(OI)(CI)M"
LangString DATA_FOLDER_READY ${LANG_SPANISH} "Carpeta de datos: $APPDATA\Oficialia (todos los usuarios pueden escribir en ella)."
LangString DATA_KEPT ${LANG_SPANISH} "La carpeta de datos $APPDATA\Oficialia se conservó. Si de verdad quiere borrar los expedientes, bórrela a mano."
LangString SHORTCUT_MAILROOM ${LANG_SPANISH} "Recibir, registrar y consultar escritos en la ventanilla."
LangString SHORTCUT_KIOSK ${LANG_SPANISH} "Quiosco de autoservicio para que la ciudadanía entregue sus escritos."

LangString UPDATES_FOLDER_READY ${LANG_SPANISH} "Carpeta de actualizaciones: $APPDATA\Oficialia\actualizaciones (solo los administradores y el sistema pueden cambiarla)."
LangString UPDATES_FOLDER_FAILED ${LANG_SPANISH} "No se pudo dejar la carpeta $APPDATA\Oficialia\actualizaciones solo para administradores (icacls: $0). El programa quedó instalado, pero no se preparó la actualización automática. Como administrador ejecute:$\r$\n$\r$\nicacls $\"$APPDATA\Oficialia\actualizaciones$\" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX$\r$\n$\r$\ny vuelva a ejecutar el instalador."
!ifdef UPDATE_ROOT_FILE
LangString UPDATE_ROOT_PLACED ${LANG_SPANISH} "Raíz de confianza de las actualizaciones: $APPDATA\Oficialia\actualizaciones\root.json."
LangString UPDATE_ROOT_KEPT ${LANG_SPANISH} "Ya había una raíz de confianza en $APPDATA\Oficialia\actualizaciones\root.json; se conserva."
!endif
!ifdef UPDATE_URL
LangString UPDATE_URL_WRITTEN ${LANG_SPANISH} "Canal de actualizaciones (update_url) anotado en $APPDATA\Oficialia\config.toml."
LangString UPDATE_URL_KEPT ${LANG_SPANISH} "$APPDATA\Oficialia\config.toml ya indica un canal de actualizaciones (update_url); se conserva."
LangString UPDATE_URL_FAILED ${LANG_SPANISH} "No se pudo anotar el canal de actualizaciones en $APPDATA\Oficialia\config.toml. El programa quedó instalado; como administrador agregue a ese archivo la línea:$\r$\n$\r$\nupdate_url = $\"${UPDATE_URL}$\""
LangString PROGRAM_FOLDER_OPEN ${LANG_SPANISH} "No se pudo quitar a los usuarios el permiso de escribir en la carpeta del programa $INSTDIR (icacls: $0). La tarea de actualizaciones ejecutaría desde ella programas con permisos de sistema, así que no se creó. El programa quedó instalado; instálelo en Program Files o revise los permisos de esa carpeta, y vuelva a ejecutar el instalador."
LangString UPDATE_TASK_FAILED ${LANG_SPANISH} "No se pudo crear la tarea programada «Oficialia - actualizaciones» ($0). El programa quedó instalado, pero no se actualizará solo. Como administrador ejecute:$\r$\n$\r$\nschtasks /Create /TN $\"Oficialia - actualizaciones$\" /XML $\"$INSTDIR\tarea-actualizaciones.xml$\" /RU SYSTEM /F"
LangString UPDATE_TASK_CREATED ${LANG_SPANISH} "Tarea programada «Oficialia - actualizaciones»: cada noche, como SYSTEM, busca e instala la versión nueva que publique el estado."
LangString UPDATE_TASK_DESCRIPTION ${LANG_SPANISH} "Busca en el canal del estado una versión nueva de Oficialía, comprueba sus firmas y la instala en silencio (oficialia.exe actualizar)."
!endif
