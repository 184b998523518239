// A shared library without tessera_job: `tessera run` must say so.
extern "C" int not_the_entry_point() { return 0; }
