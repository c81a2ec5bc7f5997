//! RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256: leaf and node
//! hashes with their 0x00 / 0x01 prefixes, roots, inclusion and consistency
//! proofs generated from stored complete subtrees, and the RFC 9162
//! §2.1.3.2 / §2.1.4.2 verification algorithms.
//!
//! Storage is abstracted as `Subtrees`: the hash of every *complete*
//! subtree (level `l`, index `i` covers leaves `i·2^l .. (i+1)·2^l`). A proof
//! needs O(log n) such hashes, never the whole tree.
//!
//! Must not: do I/O itself, or accept a proof without recomputing the root.

use sha2::{Digest, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Where complete-subtree hashes come from.
pub trait Subtrees {
    /// The error reading them.
    type Error;
    /// The hash of complete subtree (`level`, `index`); it must exist.
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    if n < 2 { 0 } else { 1u64 << (63 - (n - 1).leading_zeros()) }
}

/// MTH(D[start..end]): one stored hash when the range is an aligned power
/// of two, else split as RFC 6962 does.
pub fn range_hash<S: Subtrees>(s: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let n = end.saturating_sub(start);
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return s.subtree(n.trailing_zeros(), start / n);
    }
    let k = split(n);
    let left = range_hash(s, start, start + k)?;
    let right = range_hash(s, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree of size `n`.
pub fn root<S: Subtrees>(s: &S, n: u64) -> Result<Hash, S::Error> {
    range_hash(s, 0, n)
}

/// RFC 6962 PATH(m, D[0:n]): the audit path for leaf `m` (m < n), leaf's
/// sibling first.
/// An index outside the tree gives an empty path, which never verifies.
pub fn inclusion_proof<S: Subtrees>(s: &S, m: u64, n: u64) -> Result<Vec<Hash>, S::Error> {
    let mut path = Vec::new();
    if m >= n {
        return Ok(path);
    }
    // Walk down from the root, collecting siblings, then reverse.
    let (mut start, mut end, mut m) = (0u64, n, m);
    while end - start > 1 {
        let k = split(end - start);
        if m < k {
            path.push(range_hash(s, start + k, end)?);
            end = start + k;
        } else {
            path.push(range_hash(s, start, start + k)?);
            start += k;
            m -= k;
        }
    }
    path.reverse();
    Ok(path)
}

/// RFC 6962 PROOF(m, D[0:n]): the consistency proof from size `m` to `n`
/// (0 < m ≤ n).
/// Sizes outside 0 < m ≤ n give an empty proof (it verifies only for m = n).
pub fn consistency_proof<S: Subtrees>(s: &S, m: u64, n: u64) -> Result<Vec<Hash>, S::Error> {
    let mut proof = Vec::new();
    if m == 0 || m > n {
        return Ok(proof);
    }
    let (mut start, mut end, mut m, mut complete) = (0u64, n, m, true);
    loop {
        if m == end - start {
            if !complete {
                proof.push(range_hash(s, start, end)?);
            }
            break;
        }
        let k = split(end - start);
        if m <= k {
            proof.push(range_hash(s, start + k, end)?);
            end = start + k;
        } else {
            proof.push(range_hash(s, start, start + k)?);
            start += k;
            m -= k;
            complete = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// RFC 9162 §2.1.3.2: does `proof` show `leaf` at `index` in the tree of
/// `size` with `root`?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `proof` show the tree of `size2` with `root2`
/// extends the tree of `size1` with `root1`?
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> bool {
    if size1 > size2 {
        return false;
    }
    if size1 == size2 {
        return proof.is_empty() && root1 == root2;
    }
    if size1 == 0 {
        // Everything extends the empty tree; RFC 9162 gives no proof for it.
        return proof.is_empty() && *root1 == empty_root();
    }
    let mut proof = proof.to_vec();
    if size1.is_power_of_two() {
        proof.insert(0, *root1);
    }
    let Some((first, rest)) = proof.split_first() else { return false };
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *root1 && sr == *root2 && snode == 0
}

/// The complete-subtree hashes that appending leaf `index` (with hash
/// `leaf`) completes, given the hashes of its left neighbours: returns
/// `(level, index, hash)` for level 0 upward. `left(level, index)` reads an
/// existing complete subtree.
pub fn append<E>(
    index: u64,
    leaf: Hash,
    left: impl Fn(u32, u64) -> Result<Hash, E>,
) -> Result<Vec<(u32, u64, Hash)>, E> {
    let mut out = vec![(0, index, leaf)];
    let (mut level, mut i, mut h) = (0u32, index, leaf);
    while i & 1 == 1 {
        let sibling = left(level, i - 1)?;
        h = node_hash(&sibling, &h);
        level += 1;
        i >>= 1;
        out.push((level, i, h));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// An in-memory tree built with `append`.
    #[derive(Default)]
    struct Mem(HashMap<(u32, u64), Hash>, u64);

    impl Mem {
        fn push(&mut self, data: &[u8]) {
            let nodes = append::<()>(self.1, leaf_hash(data), |l, i| Ok(self.0[&(l, i)])).unwrap();
            for (l, i, h) in nodes {
                self.0.insert((l, i), h);
            }
            self.1 += 1;
        }
    }

    impl Subtrees for Mem {
        type Error = ();
        fn subtree(&self, level: u32, index: u64) -> Result<Hash, ()> {
            self.0.get(&(level, index)).copied().ok_or(())
        }
    }

    /// RFC 6962 MTH, straight from the definition.
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn leaves(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
    }

    #[test]
    fn known_answers() {
        // The empty tree and a one-leaf tree (RFC 6962 definitions; the
        // empty root is SHA-256 of nothing).
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Leaf hash of the empty string: SHA-256(0x00).
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        // The 8-leaf test tree of the Go / certificate-transparency
        // reference implementations (leaves "", 0x00, 0x10, 0x2021, 0x3031,
        // 0x40414243, 0x5051525354555657, 0x606162636465666768696a6b6c6d6e6f).
        let data: Vec<Vec<u8>> = [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| hex::decode(h).unwrap())
        .collect();
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut t = Mem::default();
        for (i, d) in data.iter().enumerate() {
            t.push(d);
            assert_eq!(hex::encode(root(&t, i as u64 + 1).unwrap()), roots[i], "size {}", i + 1);
        }
    }

    #[test]
    fn every_proof_up_to_64_leaves() {
        let all = leaves(64);
        let mut t = Mem::default();
        for n in 1..=64u64 {
            t.push(&all[n as usize - 1]);
            let r = root(&t, n).unwrap();
            assert_eq!(r, mth(&all[..n as usize]), "root of {n}");
            for m in 0..n {
                let leaf = leaf_hash(&all[m as usize]);
                let p = inclusion_proof(&t, m, n).unwrap();
                assert!(verify_inclusion(m, n, &leaf, &p, &r), "inclusion {m} in {n}");
                // Forged: wrong leaf, wrong index, a flipped hash, a dropped
                // or an added hash, a wrong root.
                assert!(!verify_inclusion(m, n, &leaf_hash(b"forged"), &p, &r));
                if n > 1 {
                    assert!(!verify_inclusion((m + 1) % n, n, &leaf, &p, &r), "index {m} {n}");
                }
                for j in 0..p.len() {
                    let mut bad = p.clone();
                    bad[j][0] ^= 1;
                    assert!(!verify_inclusion(m, n, &leaf, &bad, &r));
                    let mut short = p.clone();
                    short.remove(j);
                    assert!(!verify_inclusion(m, n, &leaf, &short, &r));
                }
                let mut long = p.clone();
                long.push(r);
                assert!(!verify_inclusion(m, n, &leaf, &long, &r));
            }
            for m in 1..=n {
                let old = mth(&all[..m as usize]);
                let p = consistency_proof(&t, m, n).unwrap();
                assert!(verify_consistency(m, n, &old, &r, &p), "consistency {m} -> {n}");
                for j in 0..p.len() {
                    let mut bad = p.clone();
                    bad[j][31] ^= 0x80;
                    assert!(!verify_consistency(m, n, &old, &r, &bad), "forged {m} -> {n}");
                }
                if m < n {
                    // A different old tree (one leaf changed) is not extended.
                    let mut other = all[..m as usize].to_vec();
                    other[0] = b"rewritten".to_vec();
                    assert!(!verify_consistency(m, n, &mth(&other), &r, &p));
                    assert!(!verify_consistency(n, m, &r, &old, &p), "{n} -> {m} backwards");
                }
            }
        }
    }
}
