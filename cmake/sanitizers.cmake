# RELAY_SANITIZE=address;undefined  or  RELAY_SANITIZE=thread
if(RELAY_SANITIZE)
  string(REPLACE ";" "," _relay_san "${RELAY_SANITIZE}")
  add_compile_options(-fsanitize=${_relay_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_relay_san})
endif()
