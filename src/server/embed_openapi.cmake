# Writes OUTPUT, a C++ source defining writ::server::OpenApiDocument() as the text of INPUT.
file(READ ${INPUT} WRIT_OPENAPI_TEXT)
string(FIND "${WRIT_OPENAPI_TEXT}" ")writ_openapi\"" WRIT_DELIMITER_FOUND)
if(NOT WRIT_DELIMITER_FOUND EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )writ_openapi\"")
endif()
file(WRITE ${OUTPUT}.tmp
     "// Generated from docs/openapi.json by src/server/embed_openapi.cmake; do not edit.\n"
     "#include \"server/openapi.h\"\n\n"
     "namespace writ::server {\n\n"
     "std::string_view OpenApiDocument() {\n"
     "  static constexpr std::string_view kDocument = R\"writ_openapi(${WRIT_OPENAPI_TEXT})writ_openapi\";\n"
     "  return kDocument;\n"
     "}\n\n"
     "}  // namespace writ::server\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
