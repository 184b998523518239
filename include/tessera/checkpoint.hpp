#pragma once
/// Checkpoints: persisted results that outlive the job, so that a job killed
/// part-way (a Slurm time limit, a requeue, Ctrl-C) and started again skips
/// what it had already computed.
///
///     auto x = tessera::array::from_hdf5("in.h5", "/field", {.chunks = {1024, 1024}});
///     auto y = tessera::persist(expensive(x), "/scratch/me/ckpt");  // or TESSERA_CHECKPOINT_DIR
///     std::cout << tessera::compute(y.sum()) << "\n";
///
/// A persist() with a checkpoint directory writes each output chunk from the
/// rank that computed it as soon as it is made (`rank-R.data`; its line in
/// `rank-R.index` follows within half a second, once the bytes are synced to
/// the disk), and keeps a manifest of the outputs' keys and fingerprints
/// (`MANIFEST`). Run again, the same persist() reads the
/// chunks found there instead of computing them (and everything only they
/// needed), and computes the rest. The directory must be one every rank can
/// read (a shared filesystem): a restart with another number of ranks reads
/// the chunks on whichever ranks the scheduler chooses.
///
/// A chunk is reused when its key and its fingerprint match: the keys,
/// literal data and arguments of everything it was computed from. The code of
/// a task's function is not part of it: after changing what a function does
/// without changing its name, delete the directory. A result that depends on
/// a literal whose type has no content token (it cannot travel) is computed
/// every time, with a warning. A checkpoint whose
/// output keys match but whose fingerprints do not (a different graph under
/// the same names) is an error naming the key, on every rank; so is a chunk
/// whose bytes no longer match their checksum. One job at a time may write
/// to a directory.
#include <string>

namespace tessera {

/// Where persist() calls that do not say write their checkpoints: the
/// `checkpoint_dir` setting (--checkpoint-dir, TESSERA_CHECKPOINT_DIR, the
/// config file) until set; empty: no checkpoints.
void set_default_checkpoint_dir(std::string directory);
std::string default_checkpoint_dir();

}  // namespace tessera
