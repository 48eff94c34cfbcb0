"""The Spanish that the samples are written in: a fictional but typical municipality, its people
and its paperwork.

Name pools are "|"-separated and ``{slots}`` in the sentences are filled per use. Blocks of
lines are markup that ``documents.py`` reads: a leading ">" aligns right, "^" centres, then "*"
is bold.
"""

from __future__ import annotations

PLACE = "San Martín Texmelucan, Puebla"
GIVEN_NAMES = (
    "José|Rosa|Jesús|Ana|Martín|Verónica|Ramón|Leticia|Raúl|Beatriz|Joaquín|Mónica|Tomás|Inés"
)
SURNAMES = (
    "Hernández|García|López|Pérez|Sánchez|Ramírez|Cruz|Gómez|Flores|Reyes|Díaz|Muñoz|Ávila|Peña"
    "|Núñez|Ibáñez|Méndez|Ordóñez|Zúñiga|Solís"
)
STREETS = (
    "Niños Héroes|Benito Juárez|Francisco I. Madero|Emiliano Zapata|Miguel Hidalgo"
    "|Ignacio Zaragoza|Cuauhtémoc|Belisario Domínguez"
)
LOCALITIES = (
    "San Baltazar Temaxcalac|San Jerónimo Tianguismanalco|Santa María Moyotzingo"
    "|San Lucas Atoyatenco|San Cristóbal Tepatlaxco|Álvaro Obregón"
)
MONTHS = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
ORDINALS = (
    "PRIMERO|SEGUNDO|TERCERO|CUARTO|QUINTO|SEXTO|SÉPTIMO|OCTAVO|NOVENO|DÉCIMO|UNDÉCIMO|DUODÉCIMO"
    "|DECIMOTERCERO|DECIMOCUARTO|DECIMOQUINTO|DECIMOSEXTO"
)

# Sentences for the citizens' escrito and the agency's oficio; {slots} are filled per use.
CITIZEN_SENTENCES = (
    "Desde hace más de {anos} años las familias de la colonia habitamos de manera pacífica, "
    "pública y continua los predios ubicados sobre la calle {calle}.",
    "A la fecha la calle {calle} carece de pavimento, banquetas y guarniciones, por lo que en "
    "temporada de lluvias se vuelve intransitable para peatones y vehículos.",
    "El día {fecha} presentamos ante la Dirección de Obras Públicas una solicitud similar, a la "
    "que se asignó el folio {folio}, sin que hasta el momento hayamos recibido respuesta.",
    "Los vecinos hemos cubierto puntualmente el impuesto predial y los derechos por el servicio "
    "de agua potable, como se acredita con los recibos que se anexan al presente.",
    "En reiteradas ocasiones los camiones recolectores de basura y las pipas de agua se han "
    "negado a ingresar a la colonia debido al mal estado del camino.",
    "La falta de alumbrado público entre las calles {calle} y {calle2} ha propiciado robos a "
    "transeúntes, sobre todo a estudiantes que regresan de la secundaria por la noche.",
    "Durante la sesión de cabildo celebrada el {fecha} se informó que la colonia sería "
    "considerada en el programa de obra pública del siguiente ejercicio fiscal.",
    "Personal de la Dirección de Catastro realizó un levantamiento topográfico de {n} predios, "
    "cuyos resultados nunca fueron notificados a los poseedores.",
    "Los escurrimientos pluviales arrastran lodo y piedras hacia las viviendas de la parte baja, "
    "lo que ha provocado daños en muros y bardas.",
    "Estamos dispuestos a aportar mano de obra y una parte del costo de los materiales, bajo el "
    "esquema de participación ciudadana que establece el reglamento municipal.",
    "La asamblea general de colonos, reunida el {fecha}, acordó por unanimidad presentar esta "
    "petición y nombrar a la mesa directiva como su representante ante el Ayuntamiento.",
    "Según el padrón de la asociación, en la colonia viven {n} familias, muchas de ellas con "
    "adultos mayores y personas con discapacidad.",
    "¿Cómo es posible que después de tantos años sigamos sin los servicios más básicos que la "
    "ley obliga a prestar al municipio?",
    "No omitimos mencionar que varios vecinos han sufrido caídas y lesiones al transitar de "
    "noche por la calle, situación que pudo haberse evitado.",
    "La acumulación de agua estancada ha favorecido la proliferación del mosco transmisor del "
    "dengue, según informó el Centro de Salud de la localidad.",
    "Hemos acudido en diversas ocasiones a las oficinas de la Presidencia Municipal, donde se "
    "nos ha pedido paciencia en tanto se autoriza el presupuesto.",
    "La calle {calle} es la única vía de acceso al jardín de niños Josefa Ortiz de Domínguez y "
    "al centro de salud de la colonia.",
    "En {anio} se instaló de manera provisional una toma de agua comunitaria, que resulta "
    "insuficiente para abastecer a todas las familias.",
    "La Comisión Estatal del Agua señaló mediante el oficio {oficio} que la red de drenaje "
    "de la colonia requiere una ampliación de {metros} metros lineales.",
    "¡Nuestros hijos merecen caminar a la escuela por calles seguras y limpias!",
    "Los postes instalados sobre la calle {calle2} carecen de luminarias desde hace {anos} "
    "meses, a pesar de los reportes levantados ante la Dirección de Servicios Públicos.",
    "Los trabajos de introducción de drenaje iniciados en {anio} quedaron inconclusos y los "
    "registros permanecen abiertos, con el riesgo que ello implica para los niños.",
    "El transporte público dejó de circular por la colonia, por lo que los vecinos deben "
    "caminar más de un kilómetro hasta la carretera federal.",
    "En la parte alta de la colonia el agua llega únicamente dos veces por semana y con muy "
    "baja presión.",
    "Los predios fueron adquiridos mediante contratos privados celebrados con el ejidatario "
    "original, quien falleció sin haber concluido la escrituración.",
    "La Dirección de Catastro nos informó verbalmente que la regularización requiere un plano "
    "de lotificación autorizado, el cual nunca ha sido elaborado.",
    "Varios vecinos han intentado tramitar su licencia de construcción, pero les ha sido negada "
    "por no contar con escritura pública.",
    "En la temporada de secas el polvo que levantan los vehículos provoca enfermedades "
    "respiratorias, sobre todo en niños y adultos mayores.",
    "Los vecinos organizamos faenas para rellenar los baches con grava, pero las lluvias del "
    "{fecha} arrastraron el material.",
    "Se reunieron {n} firmas de vecinos que respaldan esta petición, mismas que se relacionan "
    "al final del presente escrito.",
    "La ambulancia de Protección Civil tardó más de una hora en llegar a un domicilio de la "
    "calle {calle} porque no pudo cruzar el arroyo.",
    "Los vecinos de la calle {calle2} ofrecieron donar una franja de terreno para ampliar la "
    "vialidad a ocho metros de sección.",
    "A pesar de los escritos enviados, la autoridad no ha realizado ninguna visita de "
    "inspección para constatar las condiciones de la colonia.",
)
AGENCY_SENTENCES = (
    "Las acciones que se describen fueron priorizadas con base en el diagnóstico de cobertura "
    "elaborado conjuntamente con el organismo operador municipal.",
    "La ejecución de las obras estará sujeta a la disponibilidad presupuestal y a la firma del "
    "convenio de coordinación correspondiente.",
    "Se solicita que el Ayuntamiento designe a un servidor público como enlace técnico, "
    "responsable de dar seguimiento a los avances físicos y financieros.",
    "Es indispensable que el municipio acredite la propiedad o posesión legal de los terrenos "
    "donde se construirán los tanques de regulación.",
    "Los proyectos ejecutivos cumplen con las normas oficiales mexicanas en materia de agua "
    "potable y con los lineamientos de la Comisión Nacional del Agua.",
    "La aportación municipal deberá depositarse en la cuenta bancaria que se indique para tal "
    "efecto, a más tardar el {fecha}.",
    "De no contar con la aportación comprometida, los recursos podrán reasignarse a otros "
    "municipios de la región conforme a las reglas de operación.",
    "El organismo operador deberá garantizar la operación y el mantenimiento de la "
    "infraestructura una vez concluida y entregada formalmente.",
    "La supervisión estará a cargo de personal de esta Comisión, con la participación del "
    "comité de contraloría social de cada localidad.",
    "Se estima que las acciones beneficiarán a {n} habitantes y elevarán la cobertura de agua "
    "potable en {pct} puntos porcentuales.",
    "La planta de tratamiento de aguas residuales de la cabecera municipal presenta un rezago en "
    "su mantenimiento que compromete su eficiencia.",
    "Se recomienda actualizar el padrón de usuarios y las tarifas del servicio, a fin de asegurar "
    "la autosuficiencia financiera del organismo operador.",
    "La rehabilitación de la línea de conducción se hará por tramos para no interrumpir el "
    "suministro por más de {horas} horas.",
    "Las localidades de {localidad} y {localidad2} presentan la mayor incidencia de enfermedades "
    "de origen hídrico, según datos de la Jurisdicción Sanitaria.",
    "Cualquier modificación a las metas o a los montos deberá solicitarse por escrito y quedará "
    "sujeta a la autorización de la Dirección de Planeación.",
    "Al término de cada obra se levantará el acta de entrega-recepción, en la que participarán el "
    "municipio, esta Comisión y el comité de contraloría social.",
    "Los volúmenes de extracción deberán corresponder a los títulos de concesión vigentes "
    "expedidos por la Comisión Nacional del Agua.",
    "Los precios unitarios se integraron conforme al tabulador de la Secretaría de "
    "Infraestructura vigente para el presente ejercicio.",
    "Las obras se licitarán de manera pública y los fallos se publicarán en el sistema "
    "electrónico de compras gubernamentales.",
    "Cada localidad contará con un cartel que indique el monto, la fuente de los recursos y el "
    "plazo de ejecución de la obra.",
    "Para la ampliación de las redes se utilizará tubería de polietileno de alta densidad, salvo "
    "en los cruces con vialidades primarias.",
    "El municipio deberá tramitar los permisos de construcción y los derechos de vía ante las "
    "autoridades federales y estatales.",
    "Los avances físicos y financieros se reportarán cada mes en el sistema de seguimiento de "
    "esta Comisión.",
    "La calidad del agua se verificará mediante muestreos trimestrales de cloro residual libre "
    "en la red de distribución de {localidad}.",
    "Las economías que se generen podrán aplicarse a metas adicionales en las mismas "
    "localidades, previa autorización.",
    "Las tomas domiciliarias que se instalen deberán contar con medidor, a fin de promover el "
    "uso eficiente del agua.",
)

# The addressee block of the letters to the mayor (line markup).
MAYOR_ADDRESS = (
    "*C. MARÍA GUADALUPE IBÁÑEZ SÁNCHEZ", "*PRESIDENTA MUNICIPAL CONSTITUCIONAL",
    "*DE SAN MARTÍN TEXMELUCAN, PUEBLA.", "*PRESENTE", "",
)  # fmt: skip

# The citizens' escrito and its annexes.
COLONOS = "Asociación de Colonos de Lomas de San Isidro, A.C."
COLONOS_SENDER = "José Ángel Muñoz Córdova"
BUDGET = (
    ("Trazo y nivelación del terreno", "m²", 1860, 12.0),
    ("Excavación para guarniciones", "m³", 148, 280.0),
    ("Guarnición de concreto", "m", 620, 500.0),
    ("Banqueta de concreto de 10 cm", "m²", 930, 469.0),
    ("Base hidráulica compactada", "m³", 372, 600.0),
    ("Carpeta asfáltica de 5 cm", "m²", 1860, 600.0),
    ("Señalamiento horizontal", "m", 620, 60.0),
)
LAW = (
    "El artículo 115 de la Constitución Política de los Estados Unidos Mexicanos dispone que los "
    "municipios tendrán a su cargo los servicios de agua potable, drenaje, alumbrado público y "
    "calles, y la Ley Orgánica Municipal del Estado de Puebla confiere al Ayuntamiento la "
    "prestación de esos servicios y la ejecución de la obra pública.",
    "La Ley General de Asentamientos Humanos, Ordenamiento Territorial y Desarrollo Urbano "
    "reconoce la necesidad de regularizar la tenencia de la tierra en los asentamientos humanos "
    "y prevé la concurrencia de los tres órdenes de gobierno para lograrlo.",
    "La Ley de Participación Ciudadana del Estado establece mecanismos de colaboración entre "
    "vecinos y autoridades para ejecutar obras de beneficio colectivo, como la que se solicita.",
    "El derecho de petición obliga a la autoridad a responder por escrito, de manera fundada y "
    "motivada, en un plazo breve, y a notificar su respuesta al peticionario.",
)
REQUESTS = (
    "PRIMERO.- Tenernos por presentados en los términos de este escrito, reconociendo la "
    "personalidad con que nos ostentamos.",
    "SEGUNDO.- Instruir a la Dirección de Obras Públicas para que incluya la pavimentación de la "
    "calle Niños Héroes en el programa de obra del ejercicio fiscal 2025.",
    "TERCERO.- Ordenar a la Dirección de Catastro que inicie la regularización de los predios "
    "relacionados en el presente escrito.",
    "CUARTO.- Dar respuesta por escrito a esta petición en el domicilio señalado.",
    "Sin otro particular, agradecemos la atención que se sirva prestar al presente y quedamos en "
    "espera de su respuesta.",
)

# The oficio of the state water commission.
OFICIO_NUMBER = "CEAS/DG/0457/2025"
SCHEDULE = (
    ("Etapa", "Inicio", "Término"),
    ("Validación de proyectos ejecutivos", "3 de marzo", "28 de marzo"),
    ("Licitación y contratación", "1 de abril", "16 de mayo"),
    ("Ejecución de obras", "19 de mayo", "31 de octubre"),
    ("Pruebas y puesta en marcha", "3 de noviembre", "28 de noviembre"),
    ("Entrega-recepción", "1 de diciembre", "12 de diciembre"),
)
FUNDING = (
    ("Fuente de financiamiento", "Participación", "Monto"),
    ("Programa federal de agua potable", "50%", "$9,850,000.00"),
    ("Gobierno del Estado", "30%", "$5,910,000.00"),
    ("Municipio de San Martín Texmelucan", "20%", "$3,940,000.00"),
    ("Total", "100%", "$19,700,000.00"),
)

# What the oficio asks the municipality to send back (line markup).
OFICIO_ENCLOSURES = (
    "1. Acta de cabildo que autorice la participación del municipio en el programa.",
    "2. Constancia de propiedad o posesión de los terrenos para las obras.",
    "3. Oficio de designación del enlace técnico municipal.",
    "4. Contrato de la cuenta bancaria productiva específica.",
    "5. Dictamen de factibilidad emitido por el organismo operador.",
    "6. Padrón de beneficiarios por localidad.",
    "",
)
