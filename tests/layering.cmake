# The layering rules of DESIGN.md §7, checked on the sources:
#  - only lib/comm (and lib/io/hdf5, whose headers need it) include <mpi.h> or call MPI_*;
#    jobs/examples/heat_insitu.cpp is a user's own MPI simulation, whose halo exchange is its own MPI;
#  - collections include no scheduler or transport headers;
#  - public headers include no MPI, HDF5, Boost.Serialization, CLI11 or Eigen.
file(GLOB_RECURSE sources ${ROOT}/lib/*.cpp ${ROOT}/lib/*.hpp ${ROOT}/include/*.hpp
     ${ROOT}/launcher/*.cpp ${ROOT}/jobs/*.cpp ${ROOT}/jobs/*.hpp)
set(failures "")
foreach(file IN LISTS sources)
  file(RELATIVE_PATH rel ${ROOT} ${file})
  file(READ ${file} text)
  if(NOT rel MATCHES "^lib/comm/" AND NOT rel MATCHES "^lib/io/hdf5/" AND NOT rel STREQUAL "include/tessera/mpi.hpp"
     AND NOT rel STREQUAL "jobs/examples/heat_insitu.cpp")
    if(text MATCHES "#include <mpi\\.h>" OR text MATCHES "[^A-Za-z_]MPI_[A-Z][a-z_]+\\(")
      string(APPEND failures "  ${rel}: uses MPI outside lib/comm\n")
    endif()
  endif()
  if(rel MATCHES "^lib/collections/" AND text MATCHES "#include \"(schedule|comm)/")
    string(APPEND failures "  ${rel}: a collection includes a scheduler or transport header\n")
  endif()
  # mpi.hpp and serialization.hpp are the opt-in exceptions, each for its one library.
  if(rel MATCHES "^include/" AND NOT rel STREQUAL "include/tessera/mpi.hpp" AND
     NOT (rel STREQUAL "include/tessera/serialization.hpp" AND NOT text MATCHES "#include <(mpi\\.h|hdf5\\.h|CLI/|Eigen/)") AND
     text MATCHES "#include <(mpi\\.h|hdf5\\.h|boost/serialization|CLI/|Eigen/)")
    string(APPEND failures "  ${rel}: a public header includes a third-party header\n")
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "layering violations:\n${failures}")
endif()
list(LENGTH sources count)
message(STATUS "layering: ${count} files checked")
