//! MT19937, the generator behind numpy's legacy `np.random` and CPython's `random`,
//! so that the reference's draws can be replayed exactly.

const N: usize = 624;
const M: usize = 397;

/// The 32-bit Mersenne Twister.
#[derive(Clone)]
pub struct Mt19937 {
    state: [u32; N],
    index: usize,
}

impl Mt19937 {
    /// `init_genrand(seed)`: numpy's `np.random.seed(seed)`.
    pub fn new(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            state[i] = 1_812_433_253u32.wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30)).wrapping_add(i as u32);
        }
        Self { state, index: N }
    }

    /// `init_by_array(key)`: CPython's `random.seed(n)` for an integer n, with the
    /// 32-bit words of n, least significant first (`[0]` for 0).
    pub fn from_key(key: &[u32]) -> Self {
        let mut mt = Self::new(19_650_218);
        let s = &mut mt.state;
        let (mut i, mut j) = (1usize, 0usize);
        let len = key.len().max(1);
        for _ in 0..N.max(len) {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key.get(j).copied().unwrap_or(0))
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                s[0] = s[N - 1];
                i = 1;
            }
            if j >= len {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                s[0] = s[N - 1];
                i = 1;
            }
        }
        s[0] = 0x8000_0000;
        mt.index = N;
        mt
    }

    /// CPython's `random.seed(seed)` for a non-negative integer.
    pub fn python_seeded(seed: u64) -> Self {
        let key: Vec<u32> = if seed >> 32 == 0 { vec![seed as u32] } else { vec![seed as u32, (seed >> 32) as u32] };
        Self::from_key(&key)
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mut v = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.index = 0;
    }

    /// The next 32-bit output (`genrand_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// numpy legacy `choice(n)` / `randint(0, n)`: masked rejection sampling.
    pub fn numpy_below(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        let r = n - 1;
        let mask = u32::MAX >> r.leading_zeros();
        loop {
            let v = self.next_u32() & mask;
            if v <= r {
                return v;
            }
        }
    }

    /// CPython `random._randbelow(n)`: `getrandbits(k)` rejection with k = bit length of n.
    pub fn python_below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let k = usize::BITS - n.leading_zeros();
        debug_assert!(k <= 32);
        loop {
            let r = (self.next_u32() >> (32 - k)) as usize;
            if r < n {
                return r;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_seed_zero_first_outputs() {
        // spec §c: the first three u32 values after np.random.seed(0).
        let mut mt = Mt19937::new(0);
        assert_eq!([mt.next_u32(), mt.next_u32(), mt.next_u32()], [2357136044, 2546248239, 3071714933]);
    }

    #[test]
    fn python_seed_zero() {
        // random.seed(0); random.getrandbits(32) == 3626764237 in CPython.
        let mut mt = Mt19937::python_seeded(0);
        assert_eq!(mt.next_u32(), 3626764237);
    }
}
