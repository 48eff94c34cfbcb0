<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="es_MX">
<context>
    <name>CameraPanel</name>
    <message>
        <source>Cerrar la cámara</source>
        <translation>Close the camera</translation>
    </message>
</context>
<context>
    <name>ChoiceList</name>
    <message>
        <source>Hay %1 más: escriba más letras para encontrar el suyo.</source>
        <translation>There are %1 more: type more letters to find yours.</translation>
    </message>
    <message>
        <source>No encontramos «%1». Pruebe con otra palabra, o toque «No sé».</source>
        <translation>We found no “%1”. Try another word, or tap “I don&apos;t know”.</translation>
    </message>
</context>
<context>
    <name>DocumentCamera</name>
    <message>
        <source>No se encontró la cámara. Use el escáner o pida ayuda en la ventanilla.</source>
        <translation>The camera was not found. Use the scanner or ask for help at the counter.</translation>
    </message>
    <message>
        <source>La cámara está desactivada en este quiosco. Use el escáner o pida ayuda en la ventanilla.</source>
        <translation>The camera is turned off on this kiosk. Use the scanner or ask for help at the counter.</translation>
    </message>
    <message>
        <source>La cámara dejó de responder. Use el escáner o pida ayuda en la ventanilla.</source>
        <translation>The camera stopped working. Use the scanner or ask for help at the counter.</translation>
    </message>
</context>
<context>
    <name>DocumentScreen</name>
    <message>
        <source>Ponga su escrito en el escáner y toque «Digitalizar»</source>
        <translation>Put your document in the scanner and tap “Scan”</translation>
    </message>
    <message>
        <source>Tomar foto</source>
        <translation>Take a photo</translation>
    </message>
    <message>
        <source>Digitalizar</source>
        <translation>Scan</translation>
    </message>
    <message>
        <source>Continuar</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>Digitalizar más</source>
        <translation>Scan more</translation>
    </message>
    <message>
        <source>Leyendo su escrito. Páginas leídas: %1</source>
        <translation>Reading your document. Pages read: %1</translation>
    </message>
    <message>
        <source>1 página. Revise que se vea bien.</source>
        <translation>1 page. Check that it looks right.</translation>
    </message>
    <message>
        <source>%1 páginas. Revise que se vean bien.</source>
        <translation>%1 pages. Check that they look right.</translation>
    </message>
    <message>
        <source>Revise la hoja y toque «Digitalizar» otra vez.</source>
        <translation>Check the sheet and tap “Scan” again.</translation>
    </message>
    <message>
        <source>Ponga la hoja completa dentro del recuadro amarillo, sin sombras, y toque «Tomar foto».</source>
        <translation>Put the whole sheet inside the yellow frame, with no shadows, and tap “Take a photo”.</translation>
    </message>
    <message>
        <source>La cámara no está disponible. Use el escáner, por favor.</source>
        <translation>The camera is not available. Please use the scanner.</translation>
    </message>
    <message>
        <source>Toque «Tomar foto» para intentarlo de nuevo.</source>
        <translation>Tap “Take a photo” to try again.</translation>
    </message>
</context>
<context>
    <name>DoneScreen</name>
    <message>
        <source>Su escrito quedó registrado</source>
        <translation>Your document has been filed</translation>
    </message>
    <message>
        <source>Su folio es:</source>
        <translation>Your folio number is:</translation>
    </message>
    <message>
        <source>Con este código QR puede consultar su trámite.</source>
        <translation>Use this QR code to check on your request.</translation>
    </message>
    <message>
        <source>Terminar</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>Código de consulta: %1</source>
        <translation>Check code: %1</translation>
    </message>
    <message>
        <source>Tome su acuse.</source>
        <translation>Take your receipt.</translation>
    </message>
    <message>
        <source>No se pudo imprimir su ticket: anote su folio o tómele una foto a esta pantalla.</source>
        <translation>Your ticket could not be printed: write down your folio number or take a photo of this screen.</translation>
    </message>
    <message>
        <source>Recibido el %1, a las %2.</source>
        <translation>Received on %1, at %2.</translation>
    </message>
</context>
<context>
    <name>FilingLookup</name>
    <message>
        <source>No encontramos un trámite con ese folio y ese código. Revise los dos en su ticket o pregunte en ventanilla.</source>
        <translation>We found no request with that folio number and code. Check both on your ticket or ask at the counter.</translation>
    </message>
    <message>
        <source>No pudimos buscar su trámite en este momento. Inténtelo más tarde o pregunte en ventanilla.</source>
        <translation>We could not look up your request right now. Try again later or ask at the counter.</translation>
    </message>
    <message>
        <source>Ese código QR no es de un acuse de esta oficina. Use el QR de su ticket.</source>
        <translation>That QR code is not from a receipt of this office. Use the QR code on your ticket.</translation>
    </message>
</context>
<context>
    <name>FilingStatus</name>
    <message>
        <source>borrador</source>
        <translation>draft</translation>
    </message>
    <message>
        <source>registrada</source>
        <translation>filed</translation>
    </message>
    <message>
        <source>turnada</source>
        <translation>sent to the department</translation>
    </message>
    <message>
        <source>recibida por el área</source>
        <translation>received by the department</translation>
    </message>
    <message>
        <source>en trámite</source>
        <translation>in progress</translation>
    </message>
    <message>
        <source>atendida</source>
        <translation>answered</translation>
    </message>
    <message>
        <source>archivada</source>
        <translation>archived</translation>
    </message>
    <message>
        <source>cancelada</source>
        <translation>cancelled</translation>
    </message>
</context>
<context>
    <name>FirstWelcome</name>
    <message>
        <source>¿Qué desea hacer?</source>
        <translation>What would you like to do?</translation>
    </message>
    <message>
        <source>Entregar un escrito</source>
        <translation>Hand in a document</translation>
    </message>
    <message>
        <source>Consultar un trámite</source>
        <translation>Check on a request</translation>
    </message>
    <message>
        <source>Un momento, por favor…</source>
        <translation>One moment, please…</translation>
    </message>
</context>
<context>
    <name>FojasScreen</name>
    <message>
        <source>Sí</source>
        <translation>Yes</translation>
    </message>
    <message>
        <source>Si no es correcto, cambie el número:</source>
        <translation>If it is not right, change the number:</translation>
    </message>
    <message>
        <source>Una hoja menos</source>
        <translation>One sheet less</translation>
    </message>
    <message>
        <source>Una hoja más</source>
        <translation>One sheet more</translation>
    </message>
    <message>
        <source>Su escrito tiene 1 hoja. ¿Es correcto?</source>
        <translation>Your document has 1 sheet. Is that right?</translation>
    </message>
    <message>
        <source>Su escrito tiene %1 hojas. ¿Es correcto?</source>
        <translation>Your document has %1 sheets. Is that right?</translation>
    </message>
</context>
<context>
    <name>IdentityScreen</name>
    <message>
        <source>¿Quién entrega el escrito?</source>
        <translation>Who is handing in the document?</translation>
    </message>
    <message>
        <source>Nombre completo</source>
        <translation>Full name</translation>
    </message>
    <message>
        <source>CURP</source>
        <translation>CURP</translation>
    </message>
    <message>
        <source>Correo electrónico</source>
        <translation>Email</translation>
    </message>
    <message>
        <source>Teléfono</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>Continuar</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>La CURP tiene 18 letras y números. El último es un número que comprueba que está bien escrita.</source>
        <translation>The CURP has 18 letters and numbers. The last one is a number that checks it is written right.</translation>
    </message>
    <message>
        <source>Para avisarle de su trámite.</source>
        <translation>To tell you about your request.</translation>
    </message>
    <message>
        <source>Su nombre completo</source>
        <translation>Your full name</translation>
    </message>
    <message>
        <source>Su CURP (si la tiene a la mano)</source>
        <translation>Your CURP (if you have it with you)</translation>
    </message>
    <message>
        <source>Correo electrónico (si quiere)</source>
        <translation>Email (if you like)</translation>
    </message>
    <message>
        <source>Teléfono, 10 números (si quiere)</source>
        <translation>Phone, 10 digits (if you like)</translation>
    </message>
</context>
<context>
    <name>Idioma</name>
    <message>
        <source>Español</source>
        <extracomment>Translators: the name of YOUR language, written in it (&quot;English&quot;, &quot;Maya t&apos;aan&quot;).</extracomment>
        <translation>English</translation>
    </message>
</context>
<context>
    <name>IdleWarning</name>
    <message>
        <source>¿Necesita más tiempo?</source>
        <translation>Do you need more time?</translation>
    </message>
    <message>
        <source>Sí, continuar</source>
        <translation>Yes, continue</translation>
    </message>
    <message>
        <source>Si no toca la pantalla, en %1 segundos se borrará lo que escribió y el quiosco volverá al inicio.</source>
        <translation>If you do not touch the screen, in %1 seconds what you typed will be erased and the kiosk will start again.</translation>
    </message>
</context>
<context>
    <name>KioskDesk</name>
    <message>
        <source>Su escrito no se pudo registrar. Inténtelo de nuevo o entréguelo en la ventanilla.</source>
        <translation>Your document could not be filed. Try again or hand it in at the counter.</translation>
    </message>
</context>
<context>
    <name>KioskSession</name>
    <message>
        <source>Esta pantalla ya no está activa. Siga en la que ve ahora.</source>
        <translation>This screen is no longer active. Go on from the one you see now.</translation>
    </message>
    <message>
        <source>Aún no acepta el aviso. Léalo y, si está de acuerdo, toque «Acepto y continúo».</source>
        <translation>You have not accepted the notice yet. Read it and, if you agree, tap “I accept and continue”.</translation>
    </message>
    <message>
        <source>Ese número de hojas no sirve. Escriba un número de 1 a %1.</source>
        <translation>That number of sheets will not do. Type a number from 1 to %1.</translation>
    </message>
    <message>
        <source>Falta su nombre. Escriba su nombre completo.</source>
        <translation>Your name is missing. Type your full name.</translation>
    </message>
    <message>
        <source>El nombre es muy largo. Escriba solo su nombre y sus apellidos.</source>
        <translation>The name is too long. Type only your first name and surnames.</translation>
    </message>
    <message>
        <source>El correo no está completo. Debe ser como nombre@correo.com. Si no lo tiene, déjelo en blanco.</source>
        <translation>The email is not complete. It should look like name@mail.com. If you have none, leave it blank.</translation>
    </message>
    <message>
        <source>El teléfono debe tener 10 números. Revise que estén todos o déjelo en blanco.</source>
        <translation>The phone number must have 10 digits. Check that they are all there or leave it blank.</translation>
    </message>
    <message>
        <source>La CURP tiene 18 letras y números; usted escribió %1. Revísela o déjela vacía.</source>
        <translation>The CURP has 18 letters and numbers; you typed %1. Check it or leave it blank.</translation>
    </message>
    <message>
        <source>El último número de la CURP sirve para comprobarla y no coincide. Revise cada letra y número, o déjela vacía.</source>
        <translation>The last digit of the CURP checks it, and it does not match. Check each letter and number, or leave it blank.</translation>
    </message>
    <message>
        <source>Esa CURP no es válida. Cópiela tal como viene en su credencial, o déjela vacía.</source>
        <translation>That CURP is not valid. Copy it exactly as it is on your ID card, or leave it blank.</translation>
    </message>
    <message>
        <source>Falta el asunto. Escriba en pocas palabras de qué trata su escrito.</source>
        <translation>The subject is missing. Type in a few words what your document is about.</translation>
    </message>
    <message>
        <source>Escriba el asunto en menos de %1 letras: el detalle va en su escrito.</source>
        <translation>Type the subject in fewer than %1 letters: the details go in your document.</translation>
    </message>
    <message>
        <source>Falta elegir el trámite o el área. Si no sabe, toque «No sé».</source>
        <translation>Choose the procedure or the department first. If you are not sure, tap “I don&apos;t know”.</translation>
    </message>
    <message>
        <source>Aún no hay páginas. Ponga su escrito en el escáner y toque «Digitalizar».</source>
        <translation>There are no pages yet. Put your document in the scanner and tap “Scan”.</translation>
    </message>
    <message>
        <source>Su escrito tiene %1 páginas y aquí se aceptan hasta %2. Por favor, entréguelo en ventanilla.</source>
        <translation>Your document has %1 pages and this kiosk takes up to %2. Please hand it in at the counter.</translation>
    </message>
</context>
<context>
    <name>KioskShell</name>
    <message>
        <source>Fuera de servicio</source>
        <translation>Out of service</translation>
    </message>
    <message>
        <source>Este quiosco no está disponible por ahora. Por favor, entregue su escrito en la ventanilla de la Oficialía de Partes.</source>
        <translation>This kiosk is not available right now. Please hand in your document at the filing office counter.</translation>
    </message>
</context>
<context>
    <name>KioskWindow</name>
    <message>
        <source>Letra grande</source>
        <translation>Large text</translation>
    </message>
    <message>
        <source>Alto contraste</source>
        <translation>High contrast</translation>
    </message>
    <message>
        <source>Escuchar</source>
        <translation>Listen</translation>
    </message>
    <message>
        <source>Atrás</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Cancelar</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>Repetir</source>
        <translation>Repeat</translation>
    </message>
    <message>
        <source>Pausa</source>
        <translation>Pause</translation>
    </message>
    <message>
        <source>Volumen −</source>
        <translation>Volume −</translation>
    </message>
    <message>
        <source>Volumen +</source>
        <translation>Volume +</translation>
    </message>
    <message>
        <source>Bajar el volumen</source>
        <translation>Turn the volume down</translation>
    </message>
    <message>
        <source>Subir el volumen</source>
        <translation>Turn the volume up</translation>
    </message>
    <message>
        <source>Seguir</source>
        <translation>Go on</translation>
    </message>
    <message>
        <source>Paso %1 de %2</source>
        <translation>Step %1 of %2</translation>
    </message>
</context>
<context>
    <name>LookupResultScreen</name>
    <message>
        <source>Su trámite</source>
        <translation>Your request</translation>
    </message>
    <message>
        <source>Folio</source>
        <translation>Folio number</translation>
    </message>
    <message>
        <source>Estado</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Área</source>
        <translation>Department</translation>
    </message>
    <message>
        <source>Último cambio</source>
        <translation>Last change</translation>
    </message>
    <message>
        <source>Folio de la dependencia</source>
        <translation>Agency folio number</translation>
    </message>
    <message>
        <source>Nota</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>Terminar</source>
        <translation>Finish</translation>
    </message>
    <message>
        <source>Este quiosco aún no se ha sincronizado con el sistema de la oficina.</source>
        <translation>This kiosk has not yet been in touch with the office&apos;s system.</translation>
    </message>
    <message>
        <source>Última sincronización: %1</source>
        <translation>Last update from the office: %1</translation>
    </message>
</context>
<context>
    <name>LookupScreen</name>
    <message>
        <source>Consultar un trámite</source>
        <translation>Check on a request</translation>
    </message>
    <message>
        <source>Folio</source>
        <translation>Folio number</translation>
    </message>
    <message>
        <source>Código de consulta</source>
        <translation>Check code</translation>
    </message>
    <message>
        <source>Consultar</source>
        <translation>Look up</translation>
    </message>
    <message>
        <source>Mostrar el QR a la cámara</source>
        <translation>Show the QR code to the camera</translation>
    </message>
    <message>
        <source>Leer con el escáner</source>
        <translation>Read with the scanner</translation>
    </message>
    <message>
        <source>Folio de su ticket</source>
        <translation>Folio number on your ticket</translation>
    </message>
    <message>
        <source>Escriba el folio y el código de consulta que vienen en su ticket.</source>
        <translation>Type the folio number and the check code printed on your ticket.</translation>
    </message>
    <message>
        <source>O use el código QR de su ticket:</source>
        <translation>Or use the QR code on your ticket:</translation>
    </message>
    <message>
        <source>Escriba el folio que viene en su ticket.</source>
        <translation>Type the folio number printed on your ticket.</translation>
    </message>
    <message>
        <source>Escriba también el código de consulta: viene en su ticket, debajo del folio.</source>
        <translation>Also type the check code: it is on your ticket, under the folio number.</translation>
    </message>
    <message>
        <source>Buscando…</source>
        <translation>Searching…</translation>
    </message>
    <message>
        <source>Leyendo su ticket en el escáner…</source>
        <translation>Reading your ticket in the scanner…</translation>
    </message>
    <message>
        <source>Acerque el código QR de su ticket a la cámara.</source>
        <translation>Hold the QR code on your ticket up to the camera.</translation>
    </message>
    <message>
        <source>La cámara no está disponible.</source>
        <translation>The camera is not available.</translation>
    </message>
</context>
<context>
    <name>OutOfService</name>
    <message>
        <source>Fuera de servicio</source>
        <translation>Out of service</translation>
    </message>
    <message>
        <source>Este quiosco no está disponible por ahora. Por favor, entregue su escrito en la ventanilla de la Oficialía de Partes.</source>
        <translation>This kiosk is not available right now. Please hand in your document at the filing office counter.</translation>
    </message>
    <message>
        <source>Para el personal: </source>
        <translation>For staff: </translation>
    </message>
    <message>
        <source>Reintentando…</source>
        <translation>Trying again…</translation>
    </message>
    <message numerus="yes">
        <source>Se volverá a intentar en %n segundos.</source>
        <translation>
            <numerusform>Trying again in %n second.</numerusform>
            <numerusform>Trying again in %n seconds.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PageCrop</name>
    <message>
        <source>No se ve una hoja completa en la foto. Coloque la hoja dentro del recuadro y vuelva a tomarla.</source>
        <translation>The photo does not show a whole sheet. Put the sheet inside the frame and take it again.</translation>
    </message>
    <message>
        <source>La hoja se sale de la foto. Colóquela completa dentro del recuadro y vuelva a tomarla.</source>
        <translation>The sheet goes past the edge of the photo. Put all of it inside the frame and take it again.</translation>
    </message>
    <message>
        <source>La hoja se ve muy pequeña en la foto. Colóquela dentro del recuadro, debajo de la cámara, y vuelva a tomarla.</source>
        <translation>The sheet looks very small in the photo. Put it inside the frame, under the camera, and take it again.</translation>
    </message>
    <message>
        <source>La foto es muy grande: tiene %1 megapíxeles y el máximo es %2. Pida ayuda en la ventanilla.</source>
        <translation>The photo is too large: it has %1 megapixels and the most is %2. Ask for help at the counter.</translation>
    </message>
    <message>
        <source>No se pudo leer la foto. Vuelva a tomarla.</source>
        <translation>The photo could not be read. Take it again.</translation>
    </message>
</context>
<context>
    <name>PageTile</name>
    <message>
        <source>Girar</source>
        <translation>Turn</translation>
    </message>
    <message>
        <source>Quitar</source>
        <translation>Remove</translation>
    </message>
    <message>
        <source>Página %1</source>
        <translation>Page %1</translation>
    </message>
    <message>
        <source>Girar la página %1</source>
        <translation>Turn page %1</translation>
    </message>
    <message>
        <source>Quitar la página %1</source>
        <translation>Remove page %1</translation>
    </message>
</context>
<context>
    <name>PrivacyScreen</name>
    <message>
        <source>Aviso de privacidad</source>
        <translation>Privacy notice</translation>
    </message>
    <message>
        <source>Leer el aviso completo</source>
        <translation>Read the full notice</translation>
    </message>
    <message>
        <source>Acepto y continúo</source>
        <translation>I accept and continue</translation>
    </message>
    <message>
        <source>Ver el resumen</source>
        <translation>See the summary</translation>
    </message>
</context>
<context>
    <name>ReviewScreen</name>
    <message>
        <source>Revise sus datos y toque «Registrar»</source>
        <translation>Check your details and tap “File”</translation>
    </message>
    <message>
        <source>Nombre</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>CURP</source>
        <translation>CURP</translation>
    </message>
    <message>
        <source>Correo</source>
        <translation>Email</translation>
    </message>
    <message>
        <source>Teléfono</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>Asunto</source>
        <translation>Subject</translation>
    </message>
    <message>
        <source>Va dirigido a</source>
        <translation>Addressed to</translation>
    </message>
    <message>
        <source>Hojas</source>
        <translation>Sheets</translation>
    </message>
    <message>
        <source>Registrar</source>
        <translation>File</translation>
    </message>
    <message>
        <source>Oír mi CURP</source>
        <translation>Hear my CURP</translation>
    </message>
    <message>
        <source>(no la dio)</source>
        <translation>(not given)</translation>
    </message>
    <message>
        <source>No lo sabe: la Oficialía lo enviará al área que corresponde</source>
        <translation>Not sure: the filing office will send it to the right department</translation>
    </message>
    <message>
        <source>Trámite: %1</source>
        <translation>Procedure: %1</translation>
    </message>
    <message>
        <source>Área: %1</source>
        <translation>Department: %1</translation>
    </message>
    <message>
        <source>1 hoja</source>
        <translation>1 sheet</translation>
    </message>
    <message>
        <source>%1 hojas</source>
        <translation>%1 sheets</translation>
    </message>
    <message>
        <source>1 página digitalizada</source>
        <translation>1 page scanned</translation>
    </message>
    <message>
        <source>%1 páginas digitalizadas</source>
        <translation>%1 pages scanned</translation>
    </message>
    <message>
        <source>Registrando su escrito…</source>
        <translation>Filing your document…</translation>
    </message>
    <message>
        <source>Imprimiendo su ticket…</source>
        <translation>Printing your ticket…</translation>
    </message>
    <message>
        <source>Su CURP: %1</source>
        <translation>Your CURP: %1</translation>
    </message>
    <message>
        <source>termina en %1</source>
        <translation>ends in %1</translation>
    </message>
</context>
<context>
    <name>ScannerOps</name>
    <message>
        <source>No encontramos el código QR en la hoja. Ponga su ticket boca abajo sobre el cristal del escáner y pruebe otra vez.</source>
        <translation>We could not find the QR code on the sheet. Put your ticket face down on the scanner glass and try again.</translation>
    </message>
    <message>
        <source>El escáner no está disponible en este momento. Por favor, entregue su escrito en ventanilla, o inténtelo más tarde.</source>
        <translation>The scanner is not available right now. Please hand in your document at the counter, or try again later.</translation>
    </message>
    <message>
        <source>No pudimos leer esa hoja. Revise que esté bien colocada y vuelva a intentarlo.</source>
        <translation>We could not read that sheet. Check that it is placed well and try again.</translation>
    </message>
    <message>
        <source>El escáner no tiene hojas. Coloque su escrito en la bandeja del escáner.</source>
        <translation>There are no sheets in the scanner. Put your document in the scanner&apos;s tray.</translation>
    </message>
    <message>
        <source>Se atoró una hoja en el escáner. Sáquela con cuidado y revise que no tenga grapas.</source>
        <translation>A sheet got stuck in the scanner. Take it out with care and check it has no staples.</translation>
    </message>
    <message>
        <source>La tapa del escáner está abierta. Ciérrela bien.</source>
        <translation>The scanner&apos;s lid is open. Close it firmly.</translation>
    </message>
    <message>
        <source>El escáner está ocupado. Espere unos segundos.</source>
        <translation>The scanner is busy. Wait a few seconds.</translation>
    </message>
</context>
<context>
    <name>SpokenCharacters</name>
    <message>
        <source>espacio</source>
        <translation>space</translation>
    </message>
    <message>
        <source>eñe</source>
        <translation>n with tilde</translation>
    </message>
    <message>
        <source>a con acento</source>
        <translation>a with accent</translation>
    </message>
    <message>
        <source>e con acento</source>
        <translation>e with accent</translation>
    </message>
    <message>
        <source>i con acento</source>
        <translation>i with accent</translation>
    </message>
    <message>
        <source>o con acento</source>
        <translation>o with accent</translation>
    </message>
    <message>
        <source>u con acento</source>
        <translation>u with accent</translation>
    </message>
    <message>
        <source>u con diéresis</source>
        <translation>u with diaeresis</translation>
    </message>
    <message>
        <source>ye</source>
        <translation>y</translation>
    </message>
    <message>
        <source>doble u</source>
        <translation>w</translation>
    </message>
    <message>
        <source>punto</source>
        <translation>dot</translation>
    </message>
    <message>
        <source>coma</source>
        <translation>comma</translation>
    </message>
    <message>
        <source>arroba</source>
        <translation>at</translation>
    </message>
    <message>
        <source>guion</source>
        <translation>hyphen</translation>
    </message>
    <message>
        <source>guion bajo</source>
        <translation>underscore</translation>
    </message>
    <message>
        <source>diagonal</source>
        <translation>slash</translation>
    </message>
    <message>
        <source>número</source>
        <translation>hash</translation>
    </message>
    <message>
        <source>y</source>
        <translation>and</translation>
    </message>
    <message>
        <source>más</source>
        <translation>plus</translation>
    </message>
    <message>
        <source>apóstrofo</source>
        <translation>apostrophe</translation>
    </message>
    <message>
        <source>abre paréntesis</source>
        <translation>open bracket</translation>
    </message>
    <message>
        <source>cierra paréntesis</source>
        <translation>close bracket</translation>
    </message>
</context>
<context>
    <name>TicketPrinter</name>
    <message>
        <source>La impresora de tickets no tiene papel. Puede entregar su escrito; al final anote o fotografíe su folio.</source>
        <translation>The ticket printer has no paper. You can still hand in your document; at the end, write down or photograph your folio number.</translation>
    </message>
    <message>
        <source>La impresora de tickets tiene la tapa abierta. Puede entregar su escrito; al final anote o fotografíe su folio.</source>
        <translation>The ticket printer&apos;s lid is open. You can still hand in your document; at the end, write down or photograph your folio number.</translation>
    </message>
    <message>
        <source>La impresora de tickets no está disponible. Puede entregar su escrito; al final anote o fotografíe su folio.</source>
        <translation>The ticket printer is not available. You can still hand in your document; at the end, write down or photograph your folio number.</translation>
    </message>
    <message>
        <source>La impresora de tickets no responde. Puede entregar su escrito; al final anote o fotografíe su folio.</source>
        <translation>The ticket printer is not answering. You can still hand in your document; at the end, write down or photograph your folio number.</translation>
    </message>
    <message>
        <source>Este quiosco no imprime tickets. Al final anote o fotografíe su folio.</source>
        <translation>This kiosk does not print tickets. At the end, write down or photograph your folio number.</translation>
    </message>
</context>
<context>
    <name>TopicScreen</name>
    <message>
        <source>Asunto</source>
        <translation>Subject</translation>
    </message>
    <message>
        <source>Trámite: %1</source>
        <translation>Procedure: %1</translation>
    </message>
    <message>
        <source>Área: %1</source>
        <translation>Department: %1</translation>
    </message>
    <message>
        <source>Escríbalo en pocas palabras, por ejemplo: «Pido que poden un árbol».</source>
        <translation>Use a few words, for example: “Please prune a tree”.</translation>
    </message>
    <message>
        <source>Continuar</source>
        <translation>Continue</translation>
    </message>
    <message>
        <source>Buscar trámite o área</source>
        <translation>Search for a procedure or department</translation>
    </message>
    <message>
        <source>Escriba una palabra, por ejemplo «licencia»</source>
        <translation>Type a word, for example “licence”</translation>
    </message>
    <message>
        <source>No sé</source>
        <translation>I don&apos;t know</translation>
    </message>
    <message>
        <source>Si no sabe, toque «No sé»: la Oficialía lo enviará al área que corresponde.</source>
        <translation>If you are not sure, tap “I don&apos;t know”: the filing office will send it to the right department.</translation>
    </message>
    <message>
        <source>¿De qué trata su escrito?</source>
        <translation>What is your document about?</translation>
    </message>
    <message>
        <source>¿A qué trámite o área va dirigido?</source>
        <translation>Which procedure or department is it for?</translation>
    </message>
</context>
<context>
    <name>WelcomeScreen</name>
    <message>
        <source>¿Qué desea hacer?</source>
        <translation>What would you like to do?</translation>
    </message>
    <message>
        <source>Entregar un escrito</source>
        <translation>Hand in a document</translation>
    </message>
    <message>
        <source>Consultar un trámite</source>
        <translation>Check on a request</translation>
    </message>
    <message>
        <source>No pudimos revisar la impresora de tickets. Al final anote o fotografíe su folio.</source>
        <translation>We could not check the ticket printer. At the end, write down or photograph your folio number.</translation>
    </message>
</context>
</TS>
