// qconv_i32.wgsl: qconv.wgsl's byte dot product as plain integer
// multiply-adds, for devices without packed_4x8_integer_dot_product.
fn dot4u(a: u32, b: u32) -> u32 {
  return (a & 255u) * (b & 255u) + ((a >> 8u) & 255u) * ((b >> 8u) & 255u) +
         ((a >> 16u) & 255u) * ((b >> 16u) & 255u) + (a >> 24u) * (b >> 24u);
}
