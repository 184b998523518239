"""What the expression oracles (bag_oracle, dataframe_oracle) share: a run of
their driver over inputs written to a temporary directory."""
import contextlib
import os
import subprocess
import sys
import tempfile


@contextlib.contextmanager
def expressions_run(program, mpiexec, write_inputs, pattern, parts):
    """Writes the inputs into DIR/data, runs MPIEXEC... PROGRAM 'DIR/data/PATTERN' DIR/out PARTS and
    yields (DIR, data, out) while DIR exists; a failed run ends the oracle, showing what it printed."""
    with tempfile.TemporaryDirectory() as d:
        data, out = os.path.join(d, "data"), os.path.join(d, "out")
        os.makedirs(data)
        os.makedirs(out)
        write_inputs(data)
        run = subprocess.run(mpiexec + [program, os.path.join(data, pattern), out, str(parts)],
                             capture_output=True, text=True, timeout=240)
        if run.returncode != 0:
            print(run.stdout, run.stderr)
            sys.exit("the program failed: %d" % run.returncode)
        yield d, data, out
