# Checks that PNG names a PNG file: its first 8 bytes are the PNG signature.
file(READ "${PNG}" head LIMIT 8 HEX)
if(NOT head STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "${PNG} is not a PNG file (it starts with ${head})")
endif()
file(SIZE "${PNG}" size)
message(STATUS "${PNG}: a PNG of ${size} bytes")
