requires packed_4x8_integer_dot_product;

// qconv_dp4.wgsl: qconv.wgsl's byte dot product on the WGSL language
// feature packed_4x8_integer_dot_product (selected by Device.pipeline when
// navigator.gpu.wgslLanguageFeatures has it).
fn dot4u(a: u32, b: u32) -> u32 {
  return dot4U8Packed(a, b);
}
