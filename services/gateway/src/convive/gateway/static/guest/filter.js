// The allergen filter: hides, as boxes are ticked, the dishes that contain a chosen allergen.
// Without JavaScript the same form is applied by the server (?avoid=...).

export function startAllergenFilter(root = document) {
  const form = root.querySelector('.filter-form');
  if (!form) return;
  const apply = () => {
    const avoid = new Set(
      [...form.querySelectorAll('input[name="avoid"]:checked')].map((box) => box.value),
    );
    for (const product of root.querySelectorAll('[data-testid="product"]')) {
      const codes = (product.dataset.allergens || '').split(' ').filter(Boolean);
      product.hidden = codes.some((code) => avoid.has(code));
    }
  };
  form.addEventListener('change', apply);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
}

startAllergenFilter();
