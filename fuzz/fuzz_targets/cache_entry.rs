//! Read arbitrary bytes as a call-cache entry (what a shared disk folder or Redis may hold): as
//! they are, and framed with a sound header and checksum so that the payload's reader is what is
//! tried. A panic is a failure; so is a value that does not read back the same once written.
#![no_main]

use asterism::cache::codec::{decode, encode, seal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = [7u8; 32];
    let _ = decode(&key, data, 0);
    if let Some((value, _)) = decode(&key, &seal(&key, u64::MAX, data), 0) {
        let again = encode(&key, &value, u64::MAX).expect("a value read is never too deep to write");
        let (back, _) = decode(&key, &again, 0).expect("what encode writes reads back");
        assert_eq!(format!("{back:?}"), format!("{value:?}"));
    }
});
