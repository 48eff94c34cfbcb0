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
