// The reduction that decides which unsafe disjuncts a batch's bounds refute: a disjunct is
// refuted when any of its rows has a positive lower bound (non-negative for a strict
// constraint). One work item per row; rows of the same disjunct write the same 1, so the
// OR needs no atomics (the host zeroes `refuted` first). Lower bounds come rounded down to
// the device type, so a refutation here is one in exact arithmetic too.
__kernel void refuted_disjuncts(const int rows, __global const REAL *lower, __global const int *disjunctOfRow,
                                __global const int *isStrict, __global int *refuted)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const REAL bound = lower[r];
    if (isStrict[r] ? bound >= 0 : bound > 0) refuted[disjunctOfRow[r]] = 1;
}
