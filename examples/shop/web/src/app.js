console.log('shop web bundle');
