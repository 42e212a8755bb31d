//! A Merkle tree over a range of ledger entries, as RFC 9162 (Certificate Transparency v2)
//! defines it: leaves `H(0x00 || entry hash)`, nodes `H(0x01 || left || right)`, the tree split
//! at the largest power of two below its size. An inclusion proof is the audit path from a leaf
//! to the root, so anyone holding a signed root can check one entry without the others.

use sha2::{Digest, Sha256};

pub type Node = [u8; 32];

/// The leaf of an entry, from its chain hash (hex).
pub fn leaf(entry_hash_hex: &str) -> Option<Node> {
    let bytes = hex::decode(entry_hash_hex).ok()?;
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(&bytes);
    Some(h.finalize().into())
}

fn node(left: &Node, right: &Node) -> Node {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root of `leaves` (the hash of the empty string for none).
pub fn root(leaves: &[Node]) -> Node {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index`, from the leaf's sibling up to the root's children.
pub fn inclusion_proof(leaves: &[Node], index: usize) -> Vec<Node> {
    fn path(leaves: &[Node], index: usize, out: &mut Vec<Node>) {
        if leaves.len() <= 1 {
            return;
        }
        let k = split(leaves.len());
        if index < k {
            path(&leaves[..k], index, out);
            out.push(root(&leaves[k..]));
        } else {
            path(&leaves[k..], index - k, out);
            out.push(root(&leaves[..k]));
        }
    }
    let mut out = Vec::new();
    if index < leaves.len() {
        path(leaves, index, &mut out);
    }
    out
}

/// Whether `proof` leads from `leaf` at `index` of a tree of `size` leaves to `expected_root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Node,
    index: usize,
    size: usize,
    proof: &[Node],
    expected_root: &Node,
) -> bool {
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
            r = node(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == expected_root
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Node> {
        (0..n)
            .map(|i| leaf(&hex::encode(Sha256::digest(i.to_le_bytes()))).unwrap())
            .collect()
    }

    #[test]
    fn one_leaf_is_its_own_root_and_needs_no_path() {
        let l = leaves(1);
        assert_eq!(root(&l), l[0]);
        assert!(inclusion_proof(&l, 0).is_empty());
        assert!(verify_inclusion(&l[0], 0, 1, &[], &l[0]));
    }

    #[test]
    fn a_leaf_is_not_a_node() {
        // Domain separation: two leaves' root differs from a leaf over their concatenation.
        let l = leaves(2);
        let mut concat = l[0].to_vec();
        concat.extend_from_slice(&l[1]);
        assert_ne!(Some(root(&l)), leaf(&hex::encode(concat)));
    }

    #[test]
    fn not_hex_is_no_leaf() {
        assert_eq!(leaf("not hex"), None);
    }

    proptest! {
        #[test]
        fn every_leaf_proves_and_no_other_does(n in 1usize..70, pick in 0usize..70) {
            let l = leaves(n);
            let r = root(&l);
            let index = pick % n;
            let proof = inclusion_proof(&l, index);
            prop_assert!(verify_inclusion(&l[index], index, n, &proof, &r));
            // Another leaf, another position, or a changed root: refused. (A wrong size can
            // lead to the same root, as in RFC 9162: the size is bound by the signed digest.)
            let other = leaves(n + 1)[n];
            prop_assert!(!verify_inclusion(&other, index, n, &proof, &r));
            if n > 1 {
                prop_assert!(!verify_inclusion(&l[index], (index + 1) % n, n, &proof, &r));
            }
            let mut bad_root = r;
            bad_root[0] ^= 1;
            prop_assert!(!verify_inclusion(&l[index], index, n, &proof, &bad_root));
        }
    }
}
